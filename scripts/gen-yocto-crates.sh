#!/usr/bin/env bash
# Regenerates the Yocto layer's pins (yocto/meta-stimd/recipes-support/stimd/):
#   stimd-crates.inc  every crate of Cargo.lock with its checksum (written by the data_files test);
#   stimd-srcrev.inc  SRCREV = REV (default HEAD), the stimd commit the recipe builds.
# The two belong together: REV's Cargo.lock must be the working tree's Cargo.lock, or the recipe
# would fetch crates the pinned source does not lock. After changing Cargo.lock, commit it with
# the regenerated crates include, then run this script again and commit stimd-srcrev.inc.
# Run it at a release: the tagged tree then pins its parent (the pin commit changes only the layer).
# usage: scripts/gen-yocto-crates.sh [REV]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=yocto/meta-stimd/recipes-support/stimd
STIMD_BLESS=1 cargo test --locked --test data_files yocto_crates_include_matches_cargo_lock
rev=$(git rev-parse --verify "${1:-HEAD}^{commit}")
if ! git diff --quiet "$rev" -- Cargo.lock; then
    echo "$dir/stimd-crates.inc is up to date, but SRCREV is not pinned: Cargo.lock differs" \
        "from $rev's. Commit Cargo.lock and the crates include, then run this script again." >&2
    exit 1
fi
cat >"$dir/stimd-srcrev.inc" <<INC
# Written by scripts/gen-yocto-crates.sh; do not edit. The stimd commit the recipe builds:
# its Cargo.lock is the one stimd-crates.inc lists.
SRCREV = "$rev"
INC
git status --short -- "$dir"
