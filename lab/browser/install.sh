#!/usr/bin/env bash
# Installs Debian's chromium (headless browser for the UI tests and bench) when missing; idempotent.
#
#   lab/browser/install.sh        prints the chromium binary path on stdout when ready
#
# A lock file serialises concurrent callers. Progress goes to stderr prefixed "[bosun-browser]".
set -euo pipefail
PACKAGES=(chromium fonts-dejavu-core)
log() { printf '[bosun-browser] %s\n' "$*" >&2; }
STATE="${BOSUN_CACHE:-$HOME/.cache/bosun}/browser"
mkdir -p "$STATE"
exec 9>"$STATE/.lock"
flock 9

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  # apt's own lock may be held by another installer: wait for it.
  if ! $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >"$STATE/apt.log" 2>&1; then
    log "apt-get install failed; running apt-get update and retrying"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update >>"$STATE/apt.log" 2>&1
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >>"$STATE/apt.log" 2>&1 || {
      tail -n 30 "$STATE/apt.log" >&2
      exit 1
    }
  fi
fi
bin=$(command -v chromium || true)
[[ -n "$bin" ]] || { log "chromium is not on PATH after install"; exit 1; }
log "ready: $("$bin" --version 2>/dev/null | head -n 1)"
echo "$bin"
