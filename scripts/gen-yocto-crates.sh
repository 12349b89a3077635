#!/usr/bin/env bash
# Regenerates yocto/meta-stimd/recipes-support/stimd/stimd-crates.inc from Cargo.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
STIMD_BLESS=1 cargo test --locked --test data_files yocto_crates_include_matches_cargo_lock
