#!/usr/bin/env bash
# Measures the real stimd daemon on the sim board: RSS and CPU while idle and while a 2-channel
# low-back session (80 Hz, 200 µs) runs. Prints figures; passes or fails nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
cargo build --release --locked --bins
secs=${1:-20}
work=$(mktemp -d /tmp/stimd-bench.XXXXXX)
cat > "$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$work/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy></busconfig>
CONF
dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile --nosyslog 2>/dev/null & bus=$!
for _ in $(seq 100); do [ -S "$work/bus" ] && break; sleep 0.05; done
export STIMCTL_BUS="unix:path=$work/bus"
./target/release/stimd --board sim --bus "$STIMCTL_BUS" --config examples/stimd.toml --state-dir "$work/state" 2>"$work/log" & pid=$!
trap 'kill $pid $bus 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 100); do ./target/release/stimctl status >/dev/null 2>&1 && break; sleep 0.1; done
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
measure() { # $1 label
  local a b; a=$(ticks); sleep "$secs"; b=$(ticks)
  awk -v a="$a" -v b="$b" -v hz="$hz" -v s="$secs" -v l="$1" 'BEGIN{printf "CPU %-32s %.2f %% of one core\n", l, (b-a)/hz/s*100}'
}
sleep 2
measure "idle:"
./target/release/stimctl check --answers no,no,no,no,no >/dev/null
./target/release/stimctl start low-back --intensity 10 --duration 10 >/dev/null
sleep 6
measure "running (2 ch, 80 Hz, 200 µs):"
./target/release/stimctl stop >/dev/null
grep -E "VmRSS|VmHWM" "/proc/$pid/status" | sed 's/^/memory /'
grep -c "safety trip" "$work/log" | sed 's/^/safety trips during the run: /'
