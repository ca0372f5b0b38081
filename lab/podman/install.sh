#!/usr/bin/env bash
# Installs podman + runc + busybox-static from Debian apt when missing (idempotent) and builds a
# busybox rootfs tar the container backend tests import as a local image (no registry).
#
#   lab/podman/install.sh OUT_DIR     writes OUT_DIR/busybox-rootfs.tar (skipped when present)
#
# podman's default OCI runtime (crun) fails on this machine (cgroups v1 hybrid), so callers run
# podman with: --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network=none.
# A lock file serialises concurrent callers. Progress goes to stderr prefixed "[bosun-podman]".
set -euo pipefail
OUT="${1:?usage: install.sh OUT_DIR}"
PACKAGES=(podman runc busybox-static)
log() { printf '[bosun-podman] %s\n' "$*" >&2; }
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt's own lock may be held by another installer: wait for it.
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}" >"$OUT/apt.log" 2>&1; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get -o DPkg::Lock::Timeout=600 update >>"$OUT/apt.log" 2>&1
    apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}" >>"$OUT/apt.log" 2>&1 || { tail -n 30 "$OUT/apt.log" >&2; exit 1; }
  fi
fi

TAR="$OUT/busybox-rootfs.tar"
if [[ ! -s "$TAR" ]]; then
  log "building $TAR"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for a in sh echo ls cat sleep kill ps id uname true false test wget nc httpd; do ln -s busybox "$root/bin/$a"; done
  echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$TAR.tmp" .
  mv "$TAR.tmp" "$TAR"
fi
log "ready: $(podman --version) $(runc --version | head -n 1)"
