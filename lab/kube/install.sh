#!/usr/bin/env bash
# Builds kube-apiserver + kube-controller-manager v1.20.2 from Debian's `kubernetes` source
# package and caches the two binaries outside the repo. Idempotent: exits at once when the
# cached binaries and their marker exist. A lock file serialises concurrent callers.
#
#   BOSUN_CACHE_DIR  cache root (default $HOME/.cache/bosun)
#
# Progress lines go to stderr, prefixed with "[bosun-kube]". The cache layout is
#   $BOSUN_CACHE_DIR/kube-v1.20.2/bin/{kube-apiserver,kube-controller-manager,.complete}
# The build tree (~2 GB) lives in $BOSUN_CACHE_DIR/kube-v1.20.2/build and is deleted at the end.
set -euo pipefail

KUBE_VERSION="v1.20.2"
CACHE_ROOT="${BOSUN_CACHE_DIR:-$HOME/.cache/bosun}"
BASE="$CACHE_ROOT/kube-$KUBE_VERSION"
BIN="$BASE/bin"
MARKER="$BIN/.complete"
BUILD="$BASE/build"
LOCK="$BASE/.lock"
APT_PACKAGES=(etcd-server etcd-client golang-go jq rsync golang-github-modern-go-reflect2-dev openssl)

log() { printf '[bosun-kube] %s\n' "$*" >&2; }

cached() { [[ -f "$MARKER" && -x "$BIN/kube-apiserver" && -x "$BIN/kube-controller-manager" ]]; }

missing_packages() {
  local p out=()
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then out+=("$p"); fi
  done
  printf '%s\n' "${out[@]}"
}

ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages | sed '/^$/d')
  if [[ ${#missing[@]} -eq 0 ]]; then log "apt packages present"; return; fi
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y "${missing[@]}" >"$BASE/apt.log" 2>&1; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update >>"$BASE/apt.log" 2>&1
    apt-get install -y "${missing[@]}" >>"$BASE/apt.log" 2>&1 || { tail -n 30 "$BASE/apt.log" >&2; exit 1; }
  fi
  log "apt packages installed"
}

fetch_source() {
  # Private deb-src apt config; the system's apt sources are left untouched.
  local aptsrc="$BUILD/aptsrc"
  mkdir -p "$aptsrc/lists/partial" "$aptsrc/parts"
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$aptsrc/parts/src.sources"
  local apto=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$aptsrc/parts" -o "Dir::State::Lists=$aptsrc/lists")
  log "fetching Debian kubernetes source package (deb-src, private apt config)"
  (cd "$BUILD" && apt-get "${apto[@]}" update >"$BUILD/apt-src.log" 2>&1 \
    && apt-get "${apto[@]}" source --download-only kubernetes >>"$BUILD/apt-src.log" 2>&1) \
    || { tail -n 30 "$BUILD/apt-src.log" >&2; exit 1; }
  local orig
  orig=$(ls "$BUILD"/kubernetes_*.orig.tar.gz | head -n 1)
  log "extracting $(basename "$orig")"
  tar -xzf "$orig" -C "$BUILD"
}

patch_reflect2() {
  # REQUIRED: vendored reflect2 v1.0.1 segfaults on Go >= 1.18 when a CR is watched.
  local v="$1/vendor/github.com/modern-go/reflect2"
  log "patching vendored reflect2 with Debian's reflect2 (Go >= 1.18 fix)"
  rm -f "$v"/*.go "$v"/*.s
  cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go "$v"/
  cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$v"/ 2>/dev/null || true
}

build() {
  local src="$1" start pid rc=0
  mkdir -p "$src/.go/src/k8s.io"
  ln -sfn ../../.. "$src/.go/src/k8s.io/kubernetes"
  log "building kube-apiserver and kube-controller-manager (about 5 min on 2 cores)"
  start=$(date +%s)
  (cd "$src" && GOPATH="$src/.go" GOCACHE="$BUILD/gocache" CGO_ENABLED=0 GOPROXY=off GOFLAGS= \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$BUILD/make.log" 2>&1) &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    if kill -0 "$pid" 2>/dev/null; then
      log "still building… $(($(date +%s) - start))s elapsed: $(tail -n 1 "$BUILD/make.log" | cut -c1-100)"
    fi
  done
  wait "$pid" || rc=$?
  if [[ $rc -ne 0 ]]; then log "build failed (exit $rc); last lines:"; tail -n 40 "$BUILD/make.log" >&2; exit 1; fi
  log "build finished in $(($(date +%s) - start))s"
}

main() {
  if cached; then log "cached binaries in $BIN"; exit 0; fi
  mkdir -p "$BASE"
  exec 9>"$LOCK"
  log "waiting for build lock $LOCK"
  flock 9
  if cached; then log "cached binaries in $BIN (built by another caller)"; exit 0; fi
  ensure_packages
  rm -rf "$BUILD"
  mkdir -p "$BUILD"
  fetch_source
  local src
  src=$(find "$BUILD" -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
  [[ -n "$src" ]] || { log "source tree not found in $BUILD"; exit 1; }
  patch_reflect2 "$src"
  build "$src"
  mkdir -p "$BIN"
  local b
  for b in kube-apiserver kube-controller-manager; do
    install -m 0755 "$src/_output/bin/$b" "$BIN/$b.tmp"
    mv -f "$BIN/$b.tmp" "$BIN/$b"
  done
  log "removing build tree $BUILD"
  rm -rf "$BUILD"
  (cd "$BIN" && sha256sum kube-apiserver kube-controller-manager) >"$MARKER.tmp"
  echo "version $KUBE_VERSION" >>"$MARKER.tmp"
  mv -f "$MARKER.tmp" "$MARKER"
  log "cached binaries in $BIN"
}

main "$@"
