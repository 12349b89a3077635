#!/usr/bin/env bash
# Installs what stimd's demo and tests need on a fresh Debian machine, if it is missing:
# dbus-daemon (the private test bus) and busctl (a client nobody on the team wrote). With
# `tests`, also what the test suite's own checks use: chromium (a real browser that renders
# stimctl's report). With `board`, what the board test (scripts/board-test.sh) needs: QEMU's
# arm machines, the device-tree compiler, cpio, binutils and python3. The demo needs neither.
# Needs root or sudo only when something is missing.
set -euo pipefail

missing=()
command -v dbus-daemon >/dev/null 2>&1 || missing+=(dbus-daemon)
command -v busctl >/dev/null 2>&1 || missing+=(systemd)
if [ "${1:-}" = tests ]; then
  # A real browser for tests/report.rs: headless Chromium renders stimctl's report.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # A font for its text (chromium only recommends one).
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
fi
if [ "${1:-}" = board ]; then
  command -v qemu-system-aarch64 >/dev/null 2>&1 || missing+=(qemu-system-arm)
  command -v dtc >/dev/null 2>&1 || missing+=(device-tree-compiler)
  command -v cpio >/dev/null 2>&1 || missing+=(cpio)
  command -v readelf >/dev/null 2>&1 || missing+=(binutils)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
