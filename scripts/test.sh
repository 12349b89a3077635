#!/usr/bin/env bash
# The test command: installs what the tests need if it is missing, then runs every test
# (unit, property and system tests against a private dbus-daemon and the real stimd binary).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
exec cargo test --locked --all-targets "$@"
