#!/usr/bin/env bash
# Makes the pictures in docs/img/ with the commands the README shows: `stimctl program plot` for
# two presets, and `stimctl report` over sessions recorded and rated through a real daemon on
# the sim board (real bus, real SQLite file), then a headless-Chromium screenshot of the report.
# The sessions are a few seconds each and recorded in one sitting, so they all fall on one day.
# (A shifted wall clock through libfaketime was tried for a fortnight of days: its clock hooks
# stall the engine's real-time thread and the supervisor trips, as it should.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh tests
cargo build --locked --bins
bin=target/debug
out=docs/img
mkdir -p "$out"

# shellcheck source=scripts/lib/private-bus.sh
. scripts/lib/private-bus.sh stimd-pictures
export LANG=C.UTF-8

$bin/stimd --board sim --bus "$STIMCTL_BUS" --config examples/stimd.toml \
  --state-dir "$work/state" 2> "$work/stimd.log" &
daemon_pid=$!
for _ in $(seq 100); do $bin/stimctl status >/dev/null 2>&1 && break; sleep 0.1; done

# A loaded machine can stall the real-time threads (a trip the history keeps, see the
# report's faults); a demo acknowledges it and goes on.
ack_timing_trip() {
  if [ "$($bin/stimctl status | sed -n 's/^state: *//p')" = fault ]; then $bin/stimctl ack; fi
}
ack_timing_trip
$bin/stimctl profile add anna --language en
# A dozen short sessions in a row: an administrator lifts the dose guidance's daily count and
# the gap between sessions for this demo profile (root is an administrator).
busctl --address="$STIMCTL_BUS" call io.stimd.Stimd1 /io/stimd/Stimd1 io.stimd.Stimd1.Profiles \
  Update 'sa{sv}' anna 2 sessions_per_day u 0 min_gap_minutes u 0
$bin/stimctl check --profile anna --answers no,no,no,no,no

# A session of PROGRAM at MA mA for a few seconds, rated BEFORE → AFTER (`-`: not rated).
session() {
  local program=$1 ma=$2 before=$3 after=$4
  ack_timing_trip
  local id
  id=$($bin/stimctl start "$program" --profile anna --intensity "$ma" --duration 30 \
       | sed -n 's/^session \([0-9]*\) started.*/\1/p')
  sleep 4
  $bin/stimctl stop >/dev/null
  [ "$before" = - ] || $bin/stimctl rate "$id" "$before" "$after"
}
session low-back 14 7 4
session massage  12 7 5
session low-back 14 7 3
session massage  12 6 5
session low-back 15 6 3
session low-back 15 6 2
session neck     10 - -
# An overcurrent on the sim board ends a session; acknowledged once it has passed.
ack_timing_trip
$bin/stimctl start massage --profile anna --intensity 12 --duration 30 >/dev/null
sleep 2
busctl --address="$STIMCTL_BUS" call io.stimd.Stimd1 /io/stimd/Stimd1 io.stimd.Stimd1.Sim \
  InjectFault su overcurrent 200
sleep 2; $bin/stimctl ack
$bin/stimctl pads --replaced 0 >/dev/null
session massage  12 5 3
session low-back 15 4 1
session massage  12 4 3

# The pictures, as the README shows them.
$bin/stimctl program plot massage --output "$out/program-massage.svg"
$bin/stimctl program plot ems-recovery --intensity 25 --output "$out/program-ems-recovery.svg"
$bin/stimctl report --profile anna --output "$work/report.html" --charts "$out/report"
cp "$work/report.html" "$out/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/chromium" \
  --screenshot="$out/report.png" --window-size=1000,2900 "file://$PWD/$out/report.html" 2>/dev/null
ls -l "$out" "$out/report"
