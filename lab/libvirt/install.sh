#!/usr/bin/env bash
# Installs libvirt + QEMU + qemu-img + genisoimage and builds the guest images the KVM provider's
# lab domains boot (Debian's cloud kernel + a busybox initramfs), cached outside the repo.
# Idempotent: exits at once when the cache marker exists. A lock serialises concurrent callers.
#
#   BOSUN_CACHE_DIR  cache root (default $HOME/.cache/bosun)
#
# Output (stdout, one line each): KERNEL=<path> INITRD=<path>
# Cache: $BOSUN_CACHE_DIR/libvirt/{vmlinuz,initrd.gz,.complete-v1}. The kernel is unpacked from its
# .deb (apt-get download + dpkg-deb -x): the system's /boot is left alone.
#
# The guest's /init (machine `pc`, IDE cdrom, virtio disks) prints on its serial console:
#   BOSUN-KVM-BOOT <name>                       once the kernel runs init
#   BOSUN-KVM-DISK <dev> <bytes>                 for each virtio disk it sees
#   BOSUN-KVM-CIDATA dev=<dev> hostname=<h> user-data-line1=<first line>   the NoCloud drive
#   BOSUN-KVM-READY <name>                       then waits for the ACPI power button
set -euo pipefail

CACHE_ROOT="${BOSUN_CACHE_DIR:-$HOME/.cache/bosun}"
BASE="$CACHE_ROOT/libvirt"
MARKER="$BASE/.complete-v1"
LOCK="$BASE/.lock"
APT_PACKAGES=(libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils genisoimage
  busybox-static cpio kmod)
MODULES=(ata_piix sr_mod isofs virtio_pci virtio_blk button evdev)

log() { printf '[bosun-libvirt] %s\n' "$*" >&2; }

mkdir -p "$BASE"
exec 9>"$LOCK"
flock 9

report() { printf 'KERNEL=%s\nINITRD=%s\n' "$BASE/vmlinuz" "$BASE/initrd.gz"; }

have_tools() { command -v virsh >/dev/null && command -v libvirtd >/dev/null && command -v qemu-img >/dev/null &&
  command -v genisoimage >/dev/null && command -v qemu-system-x86_64 >/dev/null; }

if [[ -f "$MARKER" && -f "$BASE/vmlinuz" && -f "$BASE/initrd.gz" ]] && have_tools; then
  report
  exit 0
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No systemd here: keep the packages' maintainer scripts from starting daemons (lab/libvirt/start.sh does).
  POLICY=/usr/sbin/policy-rc.d
  placed_policy=""
  if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod +x "$POLICY" && placed_policy=1
  fi
  ok=1
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$BASE/apt.log" 2>&1; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update >>"$BASE/apt.log" 2>&1
    apt-get install -y --no-install-recommends "${missing[@]}" >>"$BASE/apt.log" 2>&1 || ok=""
  fi
  [[ -n "$placed_policy" ]] && rm -f "$POLICY"
  [[ -n "$ok" ]] || { tail -n 30 "$BASE/apt.log" >&2; exit 1; }
fi

WORK="$BASE/build"
rm -rf "$WORK"
mkdir -p "$WORK"
# shellcheck source=../guest/kernel-and-modules.sh
source "$(dirname "${BASH_SOURCE[0]}")/../guest/kernel-and-modules.sh"
fetch_cloud_kernel
initramfs_root "${MODULES[@]}"

cat >"$ROOT/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
name=$(arg bosun.name)
echo "BOSUN-KVM-BOOT $name"
for m in $(arg bosun.modules | tr , ' '); do modprobe "$m" 2>/dev/null || echo "BOSUN-KVM-MODULE-MISSING $m"; done
i=0
while [ ! -b /dev/sr0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
for d in /sys/block/vd*; do
  [ -e "$d" ] && echo "BOSUN-KVM-DISK ${d##*/} $(($(cat "$d/size") * 512))"
done
if mount -t iso9660 -o ro /dev/sr0 /mnt 2>/dev/null; then
  h=$(sed -n 's/^local-hostname: *//p' /mnt/meta-data | head -n 1)
  echo "BOSUN-KVM-CIDATA dev=/dev/sr0 hostname=$h user-data-line1=$(head -n 1 /mnt/user-data)"
  umount /mnt
else
  echo "BOSUN-KVM-CIDATA none"
fi
ev=""
i=0
while [ -z "$ev" ] && [ $i -lt 50 ]; do
  for d in /sys/class/input/event*; do
    [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ] && ev="/dev/input/${d##*/}"
  done
  [ -z "$ev" ] && sleep 0.1
  i=$((i + 1))
done
echo "BOSUN-KVM-READY $name"
if [ -n "$ev" ]; then
  head -c 1 "$ev" >/dev/null
  echo "BOSUN-KVM-POWERDOWN $name"
else
  while true; do sleep 3600; done
fi
sync
poweroff -f
INIT
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -9) >"$BASE/initrd.gz"
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$BASE/vmlinuz"
echo "$KVER" >"$BASE/kernel-version"
rm -rf "$WORK"
touch "$MARKER"
log "guest images ready in $BASE"
report
