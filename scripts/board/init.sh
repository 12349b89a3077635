#!/bin/busybox sh
# shellcheck shell=dash
# shellcheck disable=SC2016 # check and wait_for take shell text, expanded when it is evaluated
# The guest's /init (scripts/board-test.sh): busybox, Debian's arm64 kernel, the aarch64 stimd
# with `--board linux` on the emulated board, a private dbus-daemon, stimctl as the client.
# One line per event on the console, which scripts/board/harness.py reads on the host:
#   BOARD ok NAME | BOARD fail NAME: why | BOARD figure NAME VALUE | BOARD info TEXT
#   BOARD mark NAME      a moment the host stamps, to check its trace between two marks
#                        (a phase tried again marks again: the host takes the last)
#   BOARD host set N L   asks the host to drive PL061 input line N to level L (qtest);
#                        the guest then waits until the kernel reads that level
#   BOARD log TEXT       stimd's log, at the end
#   BOARD done           the last line; the guest powers off
# /etc/board-boot names the boot: `main` (examples/board-qemu-virt.toml: the DAC, HV enable,
# the interlock, the contacts, overcurrent, SIGKILL) or `buttons` (scripts/board/buttons.toml).
/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run

BOOT=$(cat /etc/board-boot)
say() { echo "BOARD $*"; }
# Results go to a file while a phase runs: a phase cut short by a timing trip is tried again
# and only its last attempt's results count.
RESULTS=/tmp/results
: >$RESULTS
ok() { echo "BOARD ok $1" >>$RESULTS; }
fail() { echo "BOARD fail $1: $(echo "$2" | tr '\n' ' ' | cut -c1-300)" >>$RESULTS; }
figure() { say "figure $1 $2"; }
mark() { say "mark $1"; }
# check NAME 'SHELL TEXT': ok when it succeeds, else fail with its output.
check() {
  local out
  if out=$(eval "$2" 2>&1); then ok "$1"; else fail "$1" "$out"; return 1; fi
}
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
# wait_for SECONDS 'SHELL TEXT': polls until it succeeds (seconds of the guest's clock).
wait_for() {
  local deadline=$(($(uptime_ms) + $1 * 1000))
  until eval "$2" >/dev/null 2>&1; do
    [ "$(uptime_ms)" -lt $deadline ] || return 1
    sleep 0.2
  done
}

# A PL061 line's level as the kernel reads it (debugfs lists the lines stimd holds).
level() {
  local base
  base=$(sed -n 's/^gpiochip[0-9]*: GPIOs \([0-9]*\)-.*pl061.*/\1/p' /sys/kernel/debug/gpio)
  grep -E "^ gpio-$((base + $1)) " /sys/kernel/debug/gpio | grep -Eo ' (in|out) +(hi|lo)' | awk '{print $2}'
}
# drive N LEVEL: the host drives input line N; returns once the kernel reads it.
drive() {
  local want=lo
  [ "$2" = 1 ] && want=hi
  say "host set $1 $2"
  wait_for 10 "[ \"\$(level $1)\" = $want ]" || { fail "drive_$1_$2" "line $1 not $want: $(cat /sys/kernel/debug/gpio)"; return 1; }
}

export STIMCTL_BUS=unix:path=/run/bus
STATUS=/tmp/status
# status: reads stimd's status once into $STATUS (exit 3, a latched fault, is an answer too).
status() {
  local rc=0
  stimctl status >$STATUS 2>&1 || rc=$?
  [ $rc -eq 0 ] || [ $rc -eq 3 ]
}
state() { status && sed -n 's/^state: *//p' $STATUS; }
fault() { status && sed -n 's/^fault: *//p' $STATUS; }
is_state() { [ "$(state)" = "$1" ]; }
# both_at_least MA: both channels' intensity, as `status` prints it ("channel 0: 6.0 mA
# (target 6.0 mA), contact ok"), is at least MA.
both_at_least() {
  status && [ "$(awk -v m="$1" '/^channel [01]: / && $3 + 0 >= m + 0 { n++ } END { print n + 0 }' $STATUS)" = 2 ]
}
targets_are() {
  status && [ "$(sed -n 's/^channel [01]: .*(target \([0-9.]*\) mA).*/\1/p' $STATUS | sort -u)" = "$1" ]
}

# Under TCG a guest can still miss the engine's 15 ms heartbeat (the test runs it with -icount,
# so the host's load is invisible, but the emulated CPU is slow): such a trip is real and
# latched, so it is counted, acknowledged, and the phase it cut short tried again (at most 3
# times). Any other fault fails. No limit is loosened for it.
TIMING_CODES='engine_heartbeat|supervisor_stall|stuck_phase'
timing_trips() { grep -Ec "safety trip: .*code=\"($TIMING_CODES)\"" /tmp/stimd.log; }
settle() {
  if fault | grep -Eq "^($TIMING_CODES)"; then
    say "info timing trip under emulation, acknowledged: $(fault)"
    stimctl ack >/dev/null 2>&1
    wait_for 10 'is_state idle'
  fi
}
# phase NAME: runs the function NAME; if a timing trip happened meanwhile, acknowledges it and
# runs it again (at most 3 times). The last attempt's results are reported.
phase() {
  local attempt before
  for attempt in 1 2 3; do
    : >$RESULTS
    settle
    before=$(timing_trips)
    "$1"
    [ "$(timing_trips)" = "$before" ] && break
    say "info phase $1 cut short by a timing trip (attempt $attempt)"
  done
  cat $RESULTS
  : >$RESULTS
}

start_stimd() {
  stimd --board linux --bus "$STIMCTL_BUS" --config /etc/stimd/stimd.toml \
    --state-dir /var/lib/stimd >>/tmp/stimd.log 2>&1 &
  STIMD_PID=$!
  wait_for 30 status
}

# A new profile for every session: the dose guidance allows one session per profile every two
# hours.
SESSIONS=0
# start_session NAME: starts low-back at 6 mA on both channels; returns once both reach it.
start_session() {
  SESSIONS=$((SESSIONS + 1))
  local profile="p$SESSIONS"
  stimctl profile add "$profile" --language en >/dev/null 2>&1
  stimctl check --profile "$profile" --answers no,no,no,no,no >/dev/null 2>&1
  if ! stimctl start low-back --intensity 6 --duration 5 --placement "low back" \
    --profile "$profile" >/tmp/start.out 2>&1; then
    fail "$1_session_at_6ma" "$(cat /tmp/start.out)"
    return 1
  fi
  check "$1_session_at_6ma" 'wait_for 30 "both_at_least 6" || { cat $STATUS; false; }'
}
# window NAME SECONDS: marks NAME begin and end around a pause, for the host's trace checks.
window() {
  mark "$1_begin"
  sleep "$2"
  mark "$1_end"
}

finish() {
  figure "timing_trips_$BOOT" "$(timing_trips)"
  sed 's/^/BOARD log /' /tmp/stimd.log
  say "done"
  sync
  poweroff -f
}
trap finish EXIT

# --- the kernel's devices and stimd ------------------------------------------------------------
while read -r m; do insmod "/lib/modules/$m" || fail "insmod_$m" "insmod failed"; done </lib/modules/order
check spidev_present 'wait_for 10 "test -c /dev/spidev0.0"'
check gpiochip_present 'test -c /dev/gpiochip0'
# Stable names for the GPIO chips, by what they are (as a udev rule would make them).
for chip in /sys/bus/gpio/devices/gpiochip*; do
  case $(readlink -f "$chip") in
    *pl061*) ln -sf "/dev/${chip##*/}" /dev/gpio-pl061 ;;
    *5ffff000.gpio*) ln -sf "/dev/${chip##*/}" /dev/gpio-ram ;;
  esac
done
figure "kernel_to_init_ms_$BOOT" "$(uptime_ms)"

mkdir -p /var/lib/stimd
cat >/tmp/bus.conf <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=/run/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
EOF
dbus-daemon --config-file=/tmp/bus.conf --nofork --nopidfile --nosyslog &
wait_for 10 'test -S /run/bus' || { fail dbus_daemon "no socket"; cat $RESULTS; exit 0; }

t0=$(uptime_ms)
if ! start_stimd; then
  fail stimd_serves "stimd did not answer: $(tail -5 /tmp/stimd.log)"
  cat $RESULTS
  exit 0
fi
figure "stimd_start_to_bus_ms_$BOOT" $(($(uptime_ms) - t0))
# Every device opened: the board is linux, no hardware_unavailable, every line held by stimd.
check board_linux 'status && grep -q "^board: *linux" $STATUS'
check devices_open '! grep -q hardware_unavailable $STATUS && ! grep -q "hardware unavailable" /tmp/stimd.log'
check lines_held_by_stimd 'n=$(grep -c "|stimd " /sys/kernel/debug/gpio); [ "$n" = 5 ] || [ "$n" = 8 ]'
cat $RESULTS
: >$RESULTS

# --- boot `main` --------------------------------------------------------------------------------
# A session: pulses, HV enable and the interlock while armed; contact lost on channel 0.
session_phase() {
  start_session steady || return
  window steady 2
  mark contact_lost
  drive 5 0
  check contact_pauses 'wait_for 10 "is_state paused"' || return
  mark contact_paused
  check contact_channel_zero 'grep -q "^channel 0: 0.0 mA (target 0.0 mA)" $STATUS'
  mark contact_back
  drive 5 1
  # Resume ramps from zero; the lost channel's target was reset and is set again.
  stimctl resume >/dev/null 2>&1
  stimctl set 0 6 >/dev/null 2>&1
  check resumed 'wait_for 30 "both_at_least 1"'
  stimctl stop >/dev/null 2>&1
  check stopped 'wait_for 10 "is_state idle"'
  window stopped 1
}
# Overcurrent: the host raises the comparator's line; stimd trips and cuts HV.
overcurrent_phase() {
  start_session overcurrent || return
  mark overcurrent
  drive 7 1
  check overcurrent_trips 'wait_for 10 "fault | grep -q ^overcurrent"'
  mark overcurrent_tripped
  drive 7 0
  stimctl ack >/dev/null 2>&1
  check overcurrent_acknowledged 'wait_for 10 "is_state idle"'
  window after_trip 1
}
# SIGKILL while armed: the interlock must stop by itself; the next start is disarmed.
kill_phase() {
  start_session kill || return
  window armed_before_kill 1
  mark kill
  kill -9 "$STIMD_PID"
  sleep 1
  mark killed
  start_stimd
  check restart_is_idle 'is_state idle'
  window restarted 1
}
main_boot() {
  drive 5 1 && drive 6 1
  settle
  # Idle: HV enable low, the interlock still, the DAC at zero.
  window idle 1
  phase session_phase
  phase overcurrent_phase
  phase kill_phase
}

# --- boot `buttons` ----------------------------------------------------------------------------
# press LINE: the host presses the button on LINE (active high) for 200 ms.
press() { drive "$1" 1 && sleep 0.2 && drive "$1" 0 && sleep 0.2; }
buttons_phase() {
  # No session: a press changes nothing.
  press 3
  check up_without_session_does_nothing 'is_state idle'
  start_session buttons || return
  # Up (line 3) and down (line 4): one step (0.5 mA) on both channels, through the session.
  mark up
  press 3
  check button_up_steps 'wait_for 10 "targets_are 6.5"'
  check button_up_reaches_6_5ma 'wait_for 10 "both_at_least 6.5"'
  window stepped_up 1
  press 4
  check button_down_steps 'wait_for 10 "targets_are 6.0"'
  # Stop (line 5): an emergency stop on its first edge.
  mark stop
  drive 5 1
  check button_stop_ends_session 'wait_for 10 "is_state idle"'
  mark stopped
  drive 5 0
  check button_stop_recorded 'stimctl history | grep -q emergency_stop'
  window stopped 1
}

case $BOOT in
  main) main_boot ;;
  buttons) phase buttons_phase ;;
esac
