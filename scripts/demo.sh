#!/usr/bin/env bash
# Shows stimd doing its job on the simulated board, no system bus needed: starts a private
# D-Bus, the daemon on the sim board, a short `low-back` session ramping to 12 mA, prints the
# live status, then says where the trace and the history went.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
cargo build --release --locked --bins

# shellcheck source=scripts/lib/private-bus.sh
. scripts/lib/private-bus.sh stimd-demo

./target/release/stimd --board sim --bus "$STIMCTL_BUS" --config examples/stimd.toml \
  --state-dir "$work/state" --trace "$work/trace.csv" 2> "$work/stimd.log" &
daemon_pid=$!
for _ in $(seq 100); do ./target/release/stimctl status >/dev/null 2>&1 && break; sleep 0.1; done

# A fault (e.g. the supervisor's timing trip on a loaded machine) is stimd doing its job: the
# output is off and the session ends. The demo then says so, shows what was recorded and ends.
fault_end() {
  echo
  echo "== stimd reported a fault: the output was switched off and the session ended =="
  ./target/release/stimctl status || true
  echo
  ./target/release/stimctl history || true
  echo
  echo "The demo ends here. Why the fault was raised is in the daemon log: $work/stimd.log"
  echo "(stimctl ack clears it once the cause is gone; run scripts/demo.sh again to see the rest.)"
  exit 1
}
# Runs a stimctl command; if it fails because the device is in fault, ends the demo as above.
ctl() {
  local rc=0
  ./target/release/stimctl "$@" || rc=$?
  [ "$rc" -eq 0 ] && return 0
  ./target/release/stimctl status >/dev/null 2>&1 || [ $? -ne 3 ] || fault_end
  exit "$rc"
}
# Prints the status lines matching $1 (all with no pattern), ending the demo on a fault.
status() {
  local out rc=0
  out=$(./target/release/stimctl status 2>&1) || rc=$?
  [ "$rc" -eq 3 ] && fault_end
  [ "$rc" -eq 0 ] || { echo "$out"; exit "$rc"; }
  if [ -n "${1:-}" ]; then grep -E "$1" <<<"$out" || true; else echo "$out"; fi
}

echo "== stimd is up on the simulated board (disarmed) =="
status
echo
echo "== before the first session: the leaflet's contraindication questions (all answered no) =="
ctl check --answers no,no,no,no,no
echo
echo "== start: low-back (80 Hz, 200 µs), target 12 mA, 1 minute; it ramps from zero at 2 mA/s =="
ctl start low-back --intensity 12 --duration 1 --placement "low back"
for _ in 1 2 3 4 5 6 7 8; do
  sleep 1
  status "channel|elapsed"
done
echo
echo "== ask for 80 mA on channel 0: the 60 mA peak limit clamps it =="
ctl set 0 80
echo
echo "== stop =="
ctl stop
status
echo
echo "== the history: the session, a pain rating (6 before, 3 after), and what helps =="
./target/release/stimctl history
./target/release/stimctl rate 1 6 3
./target/release/stimctl summary
echo
echo "== ten programs come with it (stimctl program show ID for one) =="
./target/release/stimctl programs | grep -v '^ '
echo
echo "trace (every DAC code with its timestamp): $work/trace.csv ($(wc -l < "$work/trace.csv") rows)"
echo "history (SQLite):                          $work/state/history.sqlite"
echo "daemon log:                                $work/stimd.log"
