#!/usr/bin/env bash
# The linux board on a real kernel, part of the test command: the aarch64 release stimd with
# `--board linux` on QEMU's `virt` machine (TCG) booting Debian's stock arm64 kernel, where it
# opens a real /dev/spidev0.0 (the kernel's spi-gpio driver bit-banging over the PL061 GPIO
# controller) and real lines on /dev/gpiochip0. The host drives the inputs (QEMU's qtest
# socket) and decodes every output change QEMU traces (pl061_set_output): the SPI frames the
# DAC would receive, HV enable and the interlock. scripts/board/harness.py runs the boots and
# checks; scripts/board/init.sh is the guest's /init.
#
# Builds: the aarch64 release binaries; fetches Debian's arm64 kernel, busybox-static and
# dbus-daemon with its libraries (apt-get download, after `dpkg --add-architecture arm64`),
# cached under target/board/, keyed by their versions; the device tree QEMU dumps for the same
# -m/-smp, with scripts/board/board.dtsi added; an initramfs per boot.
# Run alone: scripts/board-test.sh (about 1.5 minutes once the downloads are cached).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$PWD
BOARD=$ROOT_DIR/target/board
RUN=$BOARD/run
TARGET=aarch64-unknown-linux-gnu
# The guest: memory and CPUs, for the boot and for the device tree QEMU dumps.
MEM=512
SMP=2
export BOARD_QEMU_MACHINE="-M virt -cpu cortex-a57 -m $MEM -smp $SMP"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  echo "board-test: installing $*" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# QEMU, dtc, cpio, binutils, python3 (scripts/ensure-deps.sh board); the cross linker, as
# scripts/cross-check.sh installs it.
scripts/ensure-deps.sh board
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
# Debian's arm64 packages: the architecture once, then its package lists.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi
if ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi

t_start=$(date +%s)
cargo build --release --locked --target "$TARGET" --bin stimd --bin stimctl

# --- Debian's arm64 packages, cached by their versions -------------------------------------
# The kernel package the metapackage names now; busybox; dbus-daemon and the libraries it and
# stimd link (checked below: a library missing from this list stops the test, named).
kernel_pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
  sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\)\(:arm64\)\?$/\1/p' | head -1)
[ -n "$kernel_pkg" ] || { echo "board-test: no linux-image-*-arm64 behind linux-image-arm64:arm64" >&2; exit 1; }
PACKAGES=("$kernel_pkg" busybox-static libc6 libgcc-s1 dbus-daemon libdbus-1-3 libexpat1
  libsystemd0 libapparmor1 libaudit1 libcap-ng0 libselinux1 libpcre2-8-0 libcap2 libgcrypt20
  libgpg-error0 liblz4-1 liblzma5 libzstd1)
# One apt-cache call for all of them (each call reads the whole package cache).
versions=$(apt-cache policy "${PACKAGES[@]/%/:arm64}" |
  awk '/^[^ ].*:arm64:$/ { p = substr($1, 1, length($1) - 7) } /^ +Candidate: / && $2 != "(none)" { printf "%s=%s ", p, $2 }')
for p in "${PACKAGES[@]}"; do
  case " $versions" in
    *" $p="*) ;;
    *) echo "board-test: no arm64 candidate for $p" >&2; exit 1 ;;
  esac
done
KEY=$(echo "$versions v1" | sha256sum | cut -c1-16)
SYSROOT=$BOARD/sysroot-$KEY
if [ ! -f "$SYSROOT/.complete" ]; then
  echo "board-test: fetching $versions" >&2
  rm -rf "$BOARD"/sysroot-* "$BOARD/debs"
  mkdir -p "$BOARD/debs" "$SYSROOT"
  pkgs=()
  for p in $versions; do pkgs+=("${p%%=*}:arm64=${p#*=}"); done
  # As root, apt downloads as _apt, who may not write into target/: a world-writable folder.
  chmod 1777 "$BOARD/debs"
  (cd "$BOARD/debs" && apt-get download -qq "${pkgs[@]}")
  for d in "$BOARD"/debs/*.deb; do dpkg-deb -x "$d" "$SYSROOT"; done
  rm -rf "$BOARD/debs" "${SYSROOT:?}/usr/share"
  # Of the kernel's modules only the SPI and GPIO drivers are used (370 MB less).
  find "$SYSROOT"/lib/modules/*/kernel -mindepth 1 -maxdepth 1 ! -name drivers -exec rm -rf {} +
  find "$SYSROOT"/lib/modules/*/kernel/drivers -mindepth 1 -maxdepth 1 ! -name spi ! -name gpio -exec rm -rf {} +
  touch "$SYSROOT/.complete"
fi
KVER=${kernel_pkg#linux-image-}

# --- the device tree: virt's own, dumped for the same machine, plus the board --------------
rm -rf "$RUN"
mkdir -p "$RUN"
# shellcheck disable=SC2086 # the machine options are words
qemu-system-aarch64 $BOARD_QEMU_MACHINE -display none -machine dumpdtb="$RUN/virt.dtb" >/dev/null 2>&1
dtc -q -I dtb -O dts -o "$RUN/virt.dts" "$RUN/virt.dtb"
# The PL061 gets a label, so that the board refers to it by name, not by phandle number.
grep -q "^$(printf '\t')pl061@9030000 {" "$RUN/virt.dts" || { echo "board-test: no pl061@9030000 in virt's device tree" >&2; exit 1; }
sed 's/^\tpl061@9030000 {/\tpl061: pl061@9030000 {/' "$RUN/virt.dts" >"$RUN/labelled.dts"
cat "$RUN/labelled.dts" scripts/board/board.dtsi >"$RUN/main.dts"
cat "$RUN/labelled.dts" scripts/board/board.dtsi scripts/board/buttons.dtsi >"$RUN/buttons.dts"
for b in main buttons; do dtc -q -I dts -O dtb -o "$RUN/$b.dtb" "$RUN/$b.dts"; done

# --- the initramfs ---------------------------------------------------------------------------
# The shared libraries an ELF file needs, found in the sysroot, recursively.
libdirs=("$SYSROOT/lib/aarch64-linux-gnu" "$SYSROOT/usr/lib/aarch64-linux-gnu" "$SYSROOT/lib" "$SYSROOT/usr/lib")
declare -A copied=()
copy_libs() {
  local elf=$1 need found d
  for need in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -z "${copied[$need]:-}" ] || continue
    found=""
    for d in "${libdirs[@]}"; do
      if [ -e "$d/$need" ]; then found="$d/$need"; break; fi
    done
    [ -n "$found" ] || { echo "board-test: $need (needed by $(basename "$elf")) is in none of the fetched packages" >&2; exit 1; }
    copied[$need]=1
    install -D -m 0755 "$(readlink -f "$found")" "$STAGE/lib/aarch64-linux-gnu/$need"
    copy_libs "$found"
  done
}
# The modules for spi-gpio, with what they depend on (the .modinfo's depends=), loaded in order.
MODDIR=$SYSROOT/lib/modules/$KVER
modules=()
add_module() {
  local name=$1 file dep
  for m in "${modules[@]}"; do [ "$(basename "$m")" != "$name.ko" ] || return 0; done
  file=$(find "$MODDIR" -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" | head -1)
  [ -n "$file" ] || { echo "board-test: module $name is not in $kernel_pkg" >&2; exit 1; }
  case $file in
    *.xz) xz -dc "$file" >"$RUN/$name.ko" ;;
    *.zst) zstd -qdc "$file" >"$RUN/$name.ko" ;;
    *) cp "$file" "$RUN/$name.ko" ;;
  esac
  for dep in $(strings "$RUN/$name.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
    add_module "${dep//_/-}"
  done
  modules+=("$RUN/$name.ko")
}
add_module spi-gpio

# make_initramfs NAME CONFIG: the guest for one boot, with CONFIG as /etc/stimd/stimd.toml.
make_initramfs() {
  local name=$1 config=$2 m
  STAGE=$RUN/stage-$name
  copied=()
  mkdir -p "$STAGE"/{bin,dev,proc,sys,tmp,run,etc/stimd,lib/modules,var/lib/stimd}
  install -m 0755 "$SYSROOT/bin/busybox" "$STAGE/bin/busybox"
  install -m 0755 scripts/board/init.sh "$STAGE/init"
  install -m 0755 "target/$TARGET/release/stimd" "$STAGE/bin/stimd"
  install -m 0755 "target/$TARGET/release/stimctl" "$STAGE/bin/stimctl"
  install -m 0755 "$SYSROOT/usr/bin/dbus-daemon" "$STAGE/bin/dbus-daemon"
  for m in "${modules[@]}"; do install -m 0644 "$m" "$STAGE/lib/modules/"; done
  printf '%s\n' "${modules[@]##*/}" >"$STAGE/lib/modules/order"
  install -m 0644 "$config" "$STAGE/etc/stimd/stimd.toml"
  echo "$name" >"$STAGE/etc/board-boot"
  printf 'root:x:0:0:root:/root:/bin/sh\nmessagebus:x:100:101::/run:/bin/false\n' >"$STAGE/etc/passwd"
  printf 'root:x:0:\nmessagebus:x:101:\nstimd-admin:x:102:root\n' >"$STAGE/etc/group"
  copy_libs "$STAGE/bin/stimd"
  copy_libs "$STAGE/bin/stimctl"
  copy_libs "$STAGE/bin/dbus-daemon"
  # The dynamic loader, where the binaries look for it.
  install -D -m 0755 "$(readlink -f "$SYSROOT/lib/ld-linux-aarch64.so.1")" "$STAGE/lib/ld-linux-aarch64.so.1"
  (cd "$STAGE" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$RUN/initramfs-$name.cpio.gz"
}
make_initramfs main examples/board-qemu-virt.toml
make_initramfs buttons scripts/board/buttons.toml
echo "board-test: guest ready in $(( $(date +%s) - t_start )) s ($kernel_pkg, initramfs $(stat -c %s "$RUN/initramfs-main.cpio.gz") bytes)" >&2

status=0
python3 scripts/board/harness.py --run "$RUN" --kernel "$SYSROOT/boot/vmlinuz-$KVER" \
  --boot "main:$RUN/initramfs-main.cpio.gz:$RUN/main.dtb" \
  --boot "buttons:$RUN/initramfs-buttons.cpio.gz:$RUN/buttons.dtb" || status=1
echo "board-test: $( [ $status -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - t_start )) s"
exit $status
