#!/usr/bin/env bash
# Installs what stimd's demo and tests need on a fresh Debian machine, if it is missing:
# dbus-daemon (the private test bus), busctl (a client nobody on the team wrote) and chromium
# (a real browser that renders stimctl's report).
# Needs root or sudo only when something is missing.
set -euo pipefail

missing=()
command -v dbus-daemon >/dev/null 2>&1 || missing+=(dbus-daemon)
command -v busctl >/dev/null 2>&1 || missing+=(systemd)
# A real browser for tests/report.rs: headless Chromium renders stimctl's report.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
