#!/usr/bin/env bash
# stimd as installed: builds a minimal Debian image (systemd, dbus, Debian's kernel) with
# mmdebstrap, installs the freshly built stimd and stimctl and the shipped files at the paths the
# Yocto recipe uses, and boots it twice under qemu-system-x86_64 (TCG) with systemd as PID 1.
# scripts/vm/guest-test.sh runs inside and reports each check on the second serial port; this
# script fails on any failed or missing check and on a time-out, and prints the figures.
#
# The only change to the shipped unit is scripts/vm/sim-board.conf (the sim board: no SPI or
# GPIO in the VM). The base image is cached under target/vm/, keyed by its package list.
# Run alone: scripts/vm-test.sh (about 3 minutes with a cached image; the first build of the
# image adds about 3 more). Needs root or sudo (mmdebstrap, mke2fs -d of root-owned files).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$PWD

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
command -v mke2fs >/dev/null 2>&1 || missing+=(e2fsprogs)
if [ ${#missing[@]} -gt 0 ]; then
  echo "vm-test: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The guest runs the host's Debian release, so the host-built binaries find the same glibc.
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
MIRROR=${STIMD_VM_MIRROR:-http://deb.debian.org/debian}
PACKAGES=systemd,systemd-sysv,dbus,udev,linux-image-amd64,procps,kmod
KEY=$(echo "$SUITE $MIRROR $PACKAGES v1" | sha256sum | cut -c1-16)
VM=$ROOT_DIR/target/vm
BASE=$VM/base-$KEY
RUN=$VM/run
TIMEOUT_S=${STIMD_VM_TIMEOUT_S:-900}
mkdir -p "$VM"

t_start=$(date +%s)
cargo build --release --locked --bin stimd --bin stimctl

if [ ! -f "$BASE/.complete" ]; then
  echo "vm-test: building the $SUITE image ($PACKAGES) into $BASE" >&2
  $SUDO rm -rf "$BASE" "$VM"/base-*
  t0=$(date +%s)
  $SUDO mmdebstrap --quiet --mode=root --variant=apt --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='echo stimd-vm >"$1/etc/hostname"' \
    --customize-hook='rm -f "$1/etc/machine-id"; touch "$1/etc/machine-id"' \
    "$SUITE" "$BASE" "$MIRROR"
  $SUDO touch "$BASE/.complete"
  echo "vm-test: image built in $(( $(date +%s) - t0 )) s" >&2
fi

# A fresh root file system for this run: the base image plus what stimd ships.
$SUDO rm -rf "$RUN"
mkdir -p "$RUN"
STAGE=$RUN/root
$SUDO cp -a "$BASE" "$STAGE"
inst() { $SUDO install -D -m "$1" "$2" "$STAGE$3"; }
inst 0755 target/release/stimd /usr/bin/stimd
inst 0755 target/release/stimctl /usr/bin/stimctl
inst 0644 systemd/stimd.service /usr/lib/systemd/system/stimd.service
inst 0644 systemd/stimd.sysusers /usr/lib/sysusers.d/stimd.conf
inst 0644 systemd/60-stimd.rules /usr/lib/udev/rules.d/60-stimd.rules
inst 0644 dbus/io.stimd.Stimd1.conf /usr/share/dbus-1/system.d/io.stimd.Stimd1.conf
inst 0644 dbus/io.stimd.Stimd1.service /usr/share/dbus-1/system-services/io.stimd.Stimd1.service
inst 0644 dbus/io.stimd.Stimd1.xml /usr/share/dbus-1/interfaces/io.stimd.Stimd1.xml
inst 0644 examples/stimd.toml /etc/stimd/stimd.toml
# Test-only additions: the sim-board drop-in, test users, the test unit and its script.
inst 0644 scripts/vm/sim-board.conf /etc/systemd/system/stimd.service.d/sim-board.conf
inst 0644 scripts/vm/vmtest.sysusers /usr/lib/sysusers.d/zz-vmtest.conf
inst 0644 scripts/vm/stimd-vmtest.service /etc/systemd/system/stimd-vmtest.service
inst 0755 scripts/vm/guest-test.sh /usr/local/lib/vmtest/guest-test.sh
$SUDO mkdir -p "$STAGE/etc/systemd/system/multi-user.target.wants"
$SUDO ln -sf /usr/lib/systemd/system/stimd.service "$STAGE/etc/systemd/system/multi-user.target.wants/stimd.service"
$SUDO ln -sf /etc/systemd/system/stimd-vmtest.service "$STAGE/etc/systemd/system/multi-user.target.wants/stimd-vmtest.service"
# No login prompt on the console: the test talks on ttyS1.
$SUDO ln -sf /dev/null "$STAGE/etc/systemd/system/serial-getty@ttyS0.service"

KERNEL=$(ls "$STAGE"/boot/vmlinuz-* | sort -V | tail -1)
INITRD=$(ls "$STAGE"/boot/initrd.img-* | sort -V | tail -1)
$SUDO cp "$KERNEL" "$RUN/vmlinuz"
$SUDO cp "$INITRD" "$RUN/initrd.img"
$SUDO chmod a+r "$RUN/vmlinuz" "$RUN/initrd.img"
truncate -s 2G "$RUN/disk.img"
$SUDO mke2fs -q -t ext4 -d "$STAGE" -L stimd-vm "$RUN/disk.img"
$SUDO rm -rf "$STAGE"
echo "vm-test: image ready in $(( $(date +%s) - t_start )) s" >&2

ACCEL=tcg
# KVM only if it is there and a quick probe shows it works (nested KVM can hang at boot).
if [ -w /dev/kvm ] && timeout 20 qemu-system-x86_64 -accel kvm -display none -no-reboot \
  -kernel "$RUN/vmlinuz" -append "panic=-1 console=ttyS0" -m 256 -serial none -monitor none \
  -initrd /dev/null >/dev/null 2>&1; then
  ACCEL=kvm
fi

# Under TCG, guest time comes from the instruction count (-icount, sleep=off): the host
# descheduling QEMU is invisible inside, so the engine's 15 ms heartbeat measures the guest,
# not this machine's load. (Guest clocks then run faster than the host's while idle.)
if [ "$ACCEL" = kvm ]; then
  VM_CPU=${STIMD_VM_CPU:--smp 2}
else
  VM_CPU=${STIMD_VM_CPU:--smp 1 -icount shift=4,sleep=off}
fi

boot() {
  local n=$1 t0
  t0=$(date +%s%N)
  if ! timeout "$TIMEOUT_S" qemu-system-x86_64 -accel "$ACCEL" -m 1024 $VM_CPU -display none \
    -monitor none -no-reboot -nic none \
    -kernel "$RUN/vmlinuz" -initrd "$RUN/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 loglevel=4 systemd.show_status=0 panic=-1" \
    -drive file="$RUN/disk.img",format=raw,if=virtio -device i6300esb \
    -serial file:"$RUN/console-$n.log" -serial file:"$RUN/results-$n.log"; then
    echo "vm-test: boot $n timed out after $TIMEOUT_S s or qemu failed; console: $RUN/console-$n.log" >&2
    tail -30 "$RUN/console-$n.log" >&2 || true
    return 1
  fi
  echo "vm-test: boot $n ran $(( ($(date +%s%N) - t0) / 1000000 )) ms (boot, checks and power-off)" >&2
}

status=0
boot 1 || status=1
[ $status -eq 0 ] && { boot 2 || status=1; }
cat "$RUN"/results-*.log 2>/dev/null | tr -d '\r' >"$RUN/results.log" || true
echo "---- checks in the VM ($ACCEL) ----"
grep -a '^VMTEST' "$RUN/results.log" || true

# Every check the guest script names must have passed, in one of the two boots.
expected=$(grep -Eo '^\s*(check|refused|ok) [a-z0-9_]+' scripts/vm/guest-test.sh |
  awk '{print $NF}' | sort -u)
for name in $expected; do
  grep -aq "^VMTEST ok $name\$" "$RUN/results.log" || { echo "vm-test: missing or failed: $name" >&2; status=1; }
done
if grep -aq '^VMTEST FAIL' "$RUN/results.log"; then status=1; fi
for p in 1 2; do
  grep -aq "^VMTEST phase $p done" "$RUN/results.log" || { echo "vm-test: boot $p did not finish its checks" >&2; status=1; }
done
echo "---- figures ----"
grep -a '^VMTEST figure' "$RUN/results.log" | sed 's/^VMTEST figure //' || true
echo "vm-test: $( [ $status -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - t_start )) s (accel $ACCEL)"
exit $status
