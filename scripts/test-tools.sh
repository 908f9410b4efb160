#!/usr/bin/env bash
# test-tools.sh — what `make test` needs besides Go, installed or built once.
#
# The guide's test (guide_test.go) runs docs/writing-a-consumer.md as written:
# kcat produces to the service, podman builds and runs its image (runc: see
# scripts/containers.conf), and a real kube-apiserver on etcd takes its
# manifests. Missing Debian packages are installed with apt-get when this
# runs as root; otherwise it stops and names them. kube-apiserver and kubectl
# are built from the Go module proxy by scripts/k8s.sh build: about ten
# minutes the first time, then cached (a no-op here once they exist), so
# that the build never eats into `go test`'s timeout.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# command → the Debian package that provides it
declare -A packages=([kcat]=kcat [podman]=podman [runc]=runc [etcd]=etcd-server)
missing=()
for cmd in kcat podman runc etcd; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${packages[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-tools.sh: make test needs ${missing[*]}: install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "test-tools.sh: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
"$REPO/scripts/k8s.sh" build
