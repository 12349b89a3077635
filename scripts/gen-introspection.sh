#!/usr/bin/env bash
# Regenerates dbus/io.stimd.Stimd1.xml from the running daemon (sim board, so it includes the
# sim-only io.stimd.Stimd1.Sim interface; a linux-board daemon serves the rest unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
STIMD_BLESS=1 cargo test --locked --test system_api introspection_matches_committed_xml
git --no-pager diff --stat -- dbus/io.stimd.Stimd1.xml || true
