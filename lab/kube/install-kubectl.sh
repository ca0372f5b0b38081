#!/usr/bin/env bash
# Makes sure `kubectl` (with its built-in `kubectl kustomize`) is on PATH for the install tests
# (test/ha/install.int.test.ts) and the e2e tests' `kubectl get`. Idempotent: exits at once when
# a kubectl that can run `kustomize` is there. Otherwise installs Debian's kubernetes-client
# (kubectl 1.20 with kustomize v2; deploy/ sticks to what that kustomize understands).
set -euo pipefail
log() { printf '[bosun-kubectl] %s\n' "$*" >&2; }
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  exit 0
fi
log "installing Debian's kubernetes-client (kubectl)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y kubernetes-client >/tmp/bosun-kubectl-apt.log 2>&1; then
  apt-get update >>/tmp/bosun-kubectl-apt.log 2>&1
  apt-get install -y kubernetes-client >>/tmp/bosun-kubectl-apt.log 2>&1 || { tail -n 20 /tmp/bosun-kubectl-apt.log >&2; exit 1; }
fi
kubectl kustomize --help >/dev/null 2>&1 || { log "kubectl has no kustomize"; exit 1; }
log "kubectl installed"
