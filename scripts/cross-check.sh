#!/usr/bin/env bash
# Cross builds for the boards, part of the test command: installs Debian's cross toolchains,
# qemu-user and the Rust targets if missing, builds stripped release binaries for aarch64 and
# armv7 (printing their sizes), and runs the library's unit tests for both under qemu-user.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || missing+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
{ command -v qemu-aarch64 && command -v qemu-arm; } >/dev/null 2>&1 || missing+=(qemu-user)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
targets=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

for t in "${targets[@]}"; do
  cargo build --release --locked --target "$t"
  for b in stimd stimctl; do
    printf '%s %s: %s bytes (stripped release)\n' "$t" "$b" "$(stat -c %s "target/$t/release/$b")"
  done
done
# The pure parts, the drivers and the threads, on the boards' architectures (qemu-aarch64 and
# qemu-arm are the runners in .cargo/config.toml). armv7 has a 32-bit time_t: local dates past
# 2038 are tested there (clock::tests).
for t in "${targets[@]}"; do
  cargo test --locked --lib --target "$t"
done
