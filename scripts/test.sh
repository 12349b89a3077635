#!/usr/bin/env bash
# The test command: installs what the tests need if it is missing, then runs every test (unit,
# property and system tests against a private dbus-daemon and the real stimd binary), then the
# Yocto layer's lint (oelint-adv --release wrynose), the
# cross builds for the boards (aarch64, armv7) and the library's tests under qemu-aarch64 and qemu-arm, then
# stimd as installed: the shipped packaging booted under systemd in a VM (scripts/vm-test.sh),
# and the linux board on a real kernel: the aarch64 stimd on an emulated arm64 board with real
# SPI and GPIO devices (scripts/board-test.sh).
# With arguments (a test-name filter, cargo test options) it runs only the matching native
# tests, for quick iterations.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh tests
cargo test --locked --all-targets "$@"
if [ $# -eq 0 ]; then
  scripts/yocto-lint.sh
  scripts/cross-check.sh
  scripts/vm-test.sh
  scripts/board-test.sh
fi
