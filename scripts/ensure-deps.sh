#!/usr/bin/env bash
# Installs what stimd's demo and tests need on a fresh Debian machine, if it is missing:
# dbus-daemon (the private test bus) and busctl (a client nobody on the team wrote). With
# `tests`, also the tools the test suite checks stimd's files with: chromium (a real browser
# that renders stimctl's report), GTKWave and sigrok-cli (open the VCD trace), python3-venv (the
# FHIR validator's virtual environment). With `board`, what the board test
# (scripts/board-test.sh) needs: QEMU's arm machines, the device-tree compiler, cpio, binutils
# and python3. The demo needs neither.
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
  # Waveform tools nobody on the team wrote, which tests/system_trace.rs opens the VCD trace with:
  # GTKWave's vcd2fst/fst2vcd and sigrok-cli (libsigrok, the library under PulseView).
  command -v vcd2fst >/dev/null 2>&1 || missing+=(gtkwave)
  command -v sigrok-cli >/dev/null 2>&1 || missing+=(sigrok-cli)
  # python3 with venv: scripts/fhir-validate.sh puts the FHIR validator (fhir.resources from PyPI)
  # in a virtual environment under target/ for tests/system_history.rs's FHIR export test.
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
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
