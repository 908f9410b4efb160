#!/usr/bin/env bash
# image.sh — build the container image from the Dockerfile (`make image`).
#
#   scripts/image.sh build        build IMAGE with podman, else docker
#   scripts/image.sh binary OUT   build the static binary the image holds
#                                 (the same flags in both variants: the
#                                 Dockerfile's registry stage runs this too)
#   scripts/image.sh conf         print the CONTAINERS_CONF podman needs on
#                                 this machine (nothing when the system's own
#                                 configuration applies)
#
# Settings (environment):
#   IMAGE        tag to build (default consumerkit:dev)
#   VERSION      stamped into the binary (default: git describe, as `make build`)
#   IMAGE_BUILD  local (default): the binary is built here, on the host, and
#                  the image is made FROM scratch with the host's CA
#                  certificates; needs Go, no registry.
#                registry: the binary is built in GO_IMAGE, on RUNTIME_IMAGE
#                  (distroless static nonroot); needs both images pullable.
#                Both variants end in the Dockerfile's one final stage.
#   GO_IMAGE, RUNTIME_IMAGE  base images of the registry variant (defaults in
#                the Dockerfile)
#   ENGINE       podman or docker (default: podman if installed, else docker,
#                with BuildKit: docker's legacy builder would build every stage)
#
# Podman: where the system has no containers.conf, podman here runs with
# scripts/containers.conf (runtime runc, no default ulimits), through
# CONTAINERS_CONF, instead of anything being written to /etc. A
# containers.conf of the system or user, or CONTAINERS_CONF already set,
# is used as it is.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=${IMAGE:-consumerkit:dev}
IMAGE_BUILD=${IMAGE_BUILD:-local}
STAGE="$REPO/bin/image"

die() { echo "image.sh: $*" >&2; exit 1; }
say() { echo "image.sh: $*" >&2; }

version() {
  if [ -n "${VERSION:-}" ]; then
    echo "$VERSION"
  else
    git -C "$REPO" describe --tags --always --dirty 2>/dev/null || echo dev
  fi
}

# binary builds the consumer for Linux without cgo (it runs on scratch or
# distroless static: no libc), without the build machine's paths, stripped
# of its symbol tables, and stamped with the version.
binary() {
  local out=$1
  case $out in /*) ;; *) out="$PWD/$out" ;; esac
  (cd "$REPO" && CGO_ENABLED=0 GOOS=linux go build -trimpath \
    -ldflags "-s -w -X main.version=$(version)" -o "$out" ./cmd/consumer)
}

# podman_conf is the configuration file podman must be pointed at, or
# nothing when podman's own lookup finds one.
podman_conf() {
  if [ -n "${CONTAINERS_CONF:-}" ] || [ -f /etc/containers/containers.conf ] ||
    [ -f "${XDG_CONFIG_HOME:-$HOME/.config}/containers/containers.conf" ]; then
    return 0
  fi
  command -v runc >/dev/null 2>&1 ||
    die "podman has no containers.conf here and runc is not installed: apt-get install runc (scripts/containers.conf selects it)"
  echo "$REPO/scripts/containers.conf"
}

engine() {
  if [ -n "${ENGINE:-}" ]; then
    command -v "$ENGINE" >/dev/null 2>&1 || die "ENGINE=$ENGINE is not installed"
    echo "$ENGINE"
  elif command -v podman >/dev/null 2>&1; then
    echo podman
  elif command -v docker >/dev/null 2>&1; then
    echo docker
  else
    die "neither podman nor docker is installed (apt-get install podman runc)"
  fi
}

# ca_bundle is the host's CA certificates, which the local variant's
# scratch image carries so that TLS to the brokers verifies.
ca_bundle() {
  local f
  for f in "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    if [ -n "$f" ] && [ -s "$f" ]; then
      echo "$f"
      return 0
    fi
  done
  die "no CA certificate bundle found (install ca-certificates, or set SSL_CERT_FILE)"
}

# stage writes what the Dockerfile's local stages copy: bin/image/out
# (the image's /consumer and its DIAG_DIR, /var/lib/consumerkit/diag,
# mode 1777: see the Dockerfile) and bin/image/etc (passwd and group
# naming 65532 nonroot as distroless does, the CA certificates).
stage() {
  rm -rf "$STAGE"
  mkdir -p "$STAGE/out/var/lib/consumerkit/diag" "$STAGE/etc/ssl/certs"
  binary "$STAGE/out/consumer"
  cp "$(ca_bundle)" "$STAGE/etc/ssl/certs/ca-certificates.crt"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
    'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$STAGE/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$STAGE/etc/group"
  chmod 0644 "$STAGE/etc/passwd" "$STAGE/etc/group" "$STAGE/etc/ssl/certs/ca-certificates.crt"
  chmod 0755 "$STAGE/out/consumer"
  chmod 1777 "$STAGE/out/var/lib/consumerkit/diag"
}

build() {
  local eng args
  eng=$(engine)
  args=(build --build-arg "BUILD_FROM=$IMAGE_BUILD" --build-arg "VERSION=$(version)" -t "$IMAGE" -f "$REPO/Dockerfile")
  case "$IMAGE_BUILD" in
    local) stage ;;
    registry)
      [ -n "${GO_IMAGE:-}" ] && args+=(--build-arg "GO_IMAGE=$GO_IMAGE")
      [ -n "${RUNTIME_IMAGE:-}" ] && args+=(--build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE")
      ;;
    *) die "IMAGE_BUILD=$IMAGE_BUILD: use local (the binary built here, no registry) or registry (built in GO_IMAGE)" ;;
  esac
  case "$eng" in
    podman)
      local conf
      conf=$(podman_conf)
      [ -n "$conf" ] && export CONTAINERS_CONF=$conf
      ;;
    # The variant's other stages must be skipped, not built: BuildKit (and
    # buildah, podman's builder) skip them; docker's legacy builder would not.
    docker) export DOCKER_BUILDKIT=1 ;;
  esac
  say "building $IMAGE ($IMAGE_BUILD variant, $(version)) with $eng"
  "$eng" "${args[@]}" "$REPO"
}

case "${1:-build}" in
  build) build ;;
  binary)
    [ $# -eq 2 ] || die "usage: scripts/image.sh binary OUT"
    binary "$2"
    ;;
  conf) podman_conf ;;
  *) die "unknown command ${1}: use build, binary OUT or conf" ;;
esac
