# Sourced by scripts/demo.sh and scripts/pictures.sh: a private D-Bus in a new temporary
# directory. Takes the directory's name prefix as $1; sets `work` (the directory), `bus_pid`,
# `daemon_pid` (empty: the caller sets it once it starts stimd) and STIMCTL_BUS, and installs an
# EXIT trap that stops stimd and the bus.
work=$(mktemp -d "/tmp/$1.XXXXXX")
cat > "$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
CONF
dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile --nosyslog 2>/dev/null &
bus_pid=$!
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  kill "$bus_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$work/bus" ] && break; sleep 0.05; done
export STIMCTL_BUS="unix:path=$work/bus"
