# Sourced by the lab install scripts that build a guest image (lab/flintlock/install.sh,
# lab/libvirt/install.sh): Debian's cloud kernel unpacked from its .deb (the system's /boot is left
# alone) and a busybox initramfs root with the given kernel modules and their dependency closure.
# The caller sets WORK (an empty build folder) and defines log(); it writes /init and packs the root.

# Downloads and unpacks the cloud kernel into $WORK/kernel; sets KVER.
fetch_cloud_kernel() {
  mkdir -p "$WORK/debs" "$WORK/kernel"
  (
    cd "$WORK/debs"
    log "downloading Debian's cloud kernel package"
    if ! apt-get download linux-image-cloud-amd64 >"$WORK/download.log" 2>&1; then
      apt-get update >>"$WORK/download.log" 2>&1
      apt-get download linux-image-cloud-amd64 >>"$WORK/download.log" 2>&1 || {
        tail -n 20 "$WORK/download.log" >&2
        exit 1
      }
    fi
    meta=$(ls linux-image-cloud-amd64_*.deb | head -n 1)
    pkg=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed 's/[ (].*//; s/^ *//' | grep '^linux-image-[0-9]' | head -n 1)
    [[ -n "$pkg" ]] || { log "cannot tell the kernel package from $meta"; exit 1; }
    apt-get download "$pkg" >>"$WORK/download.log" 2>&1 || { tail -n 20 "$WORK/download.log" >&2; exit 1; }
    dpkg-deb -x "$(ls "${pkg}"_*.deb | head -n 1)" "$WORK/kernel"
  )
  KVER=$(ls "$WORK/kernel/lib/modules" | head -n 1)
  log "kernel $KVER"
}

# Makes $WORK/root: busybox, the modules named in "$@" with their dependencies, depmod. Sets ROOT.
initramfs_root() {
  ROOT="$WORK/root"
  mkdir -p "$ROOT"/{bin,dev,proc,sys,mnt,lib/modules/"$KVER"}
  cp /bin/busybox "$ROOT/bin/busybox"
  local modsrc="$WORK/kernel/lib/modules/$KVER" m
  cp "$modsrc"/modules.order "$modsrc"/modules.builtin "$modsrc"/modules.builtin.modinfo "$ROOT/lib/modules/$KVER/" \
    2>/dev/null || true
  declare -A seen=()
  add_module() {
    local name="$1" path dep
    [[ -n "${seen[$name]:-}" ]] && return
    seen[$name]=1
    path=$(find "$modsrc" -name "${name}.ko*" -o -name "${name//_/-}.ko*" | head -n 1)
    [[ -n "$path" ]] || return 0 # built in
    mkdir -p "$ROOT/$(dirname "${path#"$WORK/kernel/"}")"
    cp "$path" "$ROOT/${path#"$WORK/kernel/"}"
    for dep in $(modinfo -F depends "$path" | tr ',' ' '); do add_module "$dep"; done
  }
  for m in "$@"; do add_module "$m"; done
  depmod -b "$ROOT" "$KVER"
}
