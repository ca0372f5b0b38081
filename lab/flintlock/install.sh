#!/usr/bin/env bash
# Installs what the lab flintlockd's QEMU provider needs and builds its guest images, cached
# outside the repo. Idempotent: exits at once when the cache marker exists. A lock serialises
# concurrent callers.
#
#   BOSUN_CACHE_DIR  cache root (default $HOME/.cache/bosun)
#
# Output (stdout, one line each): KERNEL=<path> INITRD=<path> QEMU=<path>
# Cache: $BOSUN_CACHE_DIR/flintlock/{vmlinuz,initrd.gz,.complete-v2}. Debian's cloud kernel is
# unpacked from its .deb (apt-get download + dpkg-deb -x): the system's /boot is left alone.
set -euo pipefail

CACHE_ROOT="${BOSUN_CACHE_DIR:-$HOME/.cache/bosun}"
BASE="$CACHE_ROOT/flintlock"
MARKER="$BASE/.complete-v2"
LOCK="$BASE/.lock"
APT_PACKAGES=(qemu-system-x86 busybox-static cpio kmod e2fsprogs)
MODULES=(virtio_mmio virtio_blk button evdev)

log() { printf '[bosun-flintlock] %s\n' "$*" >&2; }

mkdir -p "$BASE"
exec 9>"$LOCK"
flock 9

report() { printf 'KERNEL=%s\nINITRD=%s\nQEMU=%s\n' "$BASE/vmlinuz" "$BASE/initrd.gz" "$(command -v qemu-system-x86_64)"; }

if [[ -f "$MARKER" && -f "$BASE/vmlinuz" && -f "$BASE/initrd.gz" ]] && command -v qemu-system-x86_64 >/dev/null; then
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
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$BASE/apt.log" 2>&1; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update >>"$BASE/apt.log" 2>&1
    apt-get install -y --no-install-recommends "${missing[@]}" >>"$BASE/apt.log" 2>&1 || { tail -n 30 "$BASE/apt.log" >&2; exit 1; }
  fi
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
for p in $(cat /proc/cmdline); do case "$p" in bosun.*) echo "FAR-AGENT-PARAM $p" ;; esac; done
for m in $(arg bosun.modules | tr , ' '); do modprobe "$m" 2>/dev/null || echo "FAR-AGENT-MODULE-MISSING $m"; done
id=$(arg bosun.id)
name=$(arg bosun.name)
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if mount -t ext4 /dev/vda /mnt 2>/dev/null; then
  echo "FAR-AGENT-VOLUME previous=$(tr '\n' ',' </mnt/boots 2>/dev/null)"
  echo "$id" >>/mnt/boots
  sync
else
  echo "FAR-AGENT-VOLUME none"
fi
# Listen for the ACPI power button before saying ready, so a stop right after boot is not missed.
ev=""
i=0
while [ -z "$ev" ] && [ $i -lt 50 ]; do
  for d in /sys/class/input/event*; do
    [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ] && ev="/dev/input/${d##*/}"
  done
  [ -z "$ev" ] && sleep 0.1
  i=$((i + 1))
done
if [ -n "$ev" ]; then
  head -c 1 "$ev" >/dev/null &
  listener=$!
  echo "FAR-AGENT-READY $name $id"
  wait $listener
  echo "FAR-AGENT-POWERDOWN $id"
else
  echo "FAR-AGENT-NO-POWER-BUTTON"
  echo "FAR-AGENT-READY $name $id"
  while true; do sleep 3600; done
fi
umount /mnt 2>/dev/null
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
