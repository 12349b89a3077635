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

echo "== stimd is up on the simulated board (disarmed) =="
./target/release/stimctl status
echo
echo "== before the first session: the leaflet's contraindication questions (all answered no) =="
./target/release/stimctl check --answers no,no,no,no,no
echo
echo "== start: low-back (80 Hz, 200 µs), target 12 mA, 1 minute; it ramps from zero at 2 mA/s =="
./target/release/stimctl start low-back --intensity 12 --duration 1 --placement "low back"
for _ in 1 2 3 4 5 6 7 8; do
  sleep 1
  ./target/release/stimctl status | grep -E "channel|elapsed"
done
echo
echo "== ask for 80 mA on channel 0: the 60 mA peak limit clamps it =="
./target/release/stimctl set 0 80
echo
echo "== stop =="
./target/release/stimctl stop
./target/release/stimctl status
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
