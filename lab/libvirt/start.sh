#!/usr/bin/env bash
# Starts the host's libvirt daemons without systemd, once: virtlogd -d, then libvirtd -d -p <pid file>.
# Idempotent: when qemu:///system already answers (started by an earlier run or another test), it only
# reports. The daemons are host services shared by everyone on the machine: nothing here stops them.
# Leaves libvirt's `default` network alone (it is not autostarted and nothing here starts it).
#
#   BOSUN_CACHE_DIR  cache root (default $HOME/.cache/bosun); the pid file and logs go to $BOSUN_CACHE_DIR/libvirt
#
# Output (stdout): URI=qemu:///system
set -euo pipefail

CACHE_ROOT="${BOSUN_CACHE_DIR:-$HOME/.cache/bosun}"
BASE="$CACHE_ROOT/libvirt"
URI="qemu:///system"
mkdir -p "$BASE"
exec 8>"$BASE/.start-lock"
flock 8

log() { printf '[bosun-libvirt] %s\n' "$*" >&2; }
answers() { timeout 20 virsh -c "$URI" -q version >/dev/null 2>&1; }

# Without udev, /dev/kvm is root-only; libvirt then finds KVM "not available now" for its QEMU user
# (libvirt-qemu, group kvm) and re-probes QEMU's capabilities on every define (30 s each on a loaded
# host). Give it the mode Debian's udev rule gives it. Whether `kvm` domains boot is decided
# separately by a probe boot (clients/libvirt/probe.ts).
if [[ -c /dev/kvm ]] && getent group kvm >/dev/null && [[ "$(stat -c %G:%a /dev/kvm)" != "kvm:660" ]]; then
  log "giving /dev/kvm the udev mode (root:kvm 0660)"
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

if answers; then
  echo "URI=$URI"
  exit 0
fi
if ! pgrep -x virtlogd >/dev/null; then
  log "starting virtlogd"
  virtlogd -d 8>&- 9>&-
fi
if ! pgrep -x libvirtd >/dev/null; then
  log "starting libvirtd"
  libvirtd -d -p "$BASE/libvirtd.pid" 8>&- 9>&-
fi
for _ in $(seq 1 120); do
  if answers; then
    echo "URI=$URI"
    exit 0
  fi
  sleep 0.5
done
log "libvirtd did not answer on $URI within 60 s"
exit 1
