#!/usr/bin/env bash
# k8s.sh — a real Kubernetes API server (kube-apiserver on etcd) on loopback,
# without Docker, kind or a cluster: enough for server-side dry-run with
# strict field validation of the manifests (make deploy-check). No nodes,
# no controllers: nothing is scheduled or run.
#
#   scripts/k8s.sh build    build kube-apiserver and kubectl from the Go module proxy, once (cached)
#   scripts/k8s.sh up       build if needed, start etcd and kube-apiserver, wait until ready,
#                           write the kubeconfig, create the ServiceMonitor and ScaledObject CRDs
#   scripts/k8s.sh down     stop exactly the recorded PIDs and remove their data (idempotent)
#   scripts/k8s.sh status   say whether the recorded API server runs and is ready
#   scripts/k8s.sh env      print `export KUBECONFIG=... KUBECTL=...` (eval "$(scripts/k8s.sh env)")
#   scripts/k8s.sh kubectl ARGS...   run the cached kubectl against it
#
# Settings (environment):
#   KUBE_VERSION    kube-apiserver and kubectl version (default 1.37.2)
#   KUBE_CACHE_DIR  where the binaries are cached across runs, shared by the framework's
#                   checkout and every service made from it (kube-apiserver-vX, kubectl-vX, build-vX/)
#   K8S_STATE_DIR   etcd data, certificates, logs, PIDs and the kubeconfig (default <repo>/.cache/k8s)
#   K8S_PORT        the API server's HTTPS port on 127.0.0.1 (default 16443)
#   ETCD_PORT       etcd's client port on 127.0.0.1 (default 23790; its peer port is ETCD_PORT+10)
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-1.37.2}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Written in two parts so that `consumer new service` leaves it alone when it
# renames this service in a copy: the binaries are the same for every
# service, and a second copy would cost another ten-minute build.
KUBE_CACHE_DIR=${KUBE_CACHE_DIR:-$HOME/.cache/consumer""kit/kubernetes}
K8S_STATE_DIR=${K8S_STATE_DIR:-$REPO/.cache/k8s}
K8S_PORT=${K8S_PORT:-16443}
ETCD_PORT=${ETCD_PORT:-23790}
ETCD_PEER_PORT=$((ETCD_PORT + 10))
APISERVER="$KUBE_CACHE_DIR/kube-apiserver-v$KUBE_VERSION"
KUBECTL="$KUBE_CACHE_DIR/kubectl-v$KUBE_VERSION"
KUBECONFIG_FILE="$K8S_STATE_DIR/kubeconfig"
# The published CRDs, from the projects' module zips on the Go module proxy.
PROMETHEUS_OPERATOR=github.com/prometheus-operator/prometheus-operator@v0.85.0
KEDA=github.com/kedacore/keda/v2@v2.21.0

die() { echo "k8s.sh: $*" >&2; exit 1; }
say() { echo "k8s.sh: $*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"
}

# build makes both binaries from k8s.io/kubernetes, which cannot be `go
# install`ed: its go.mod replaces its k8s.io/* staging modules with local
# directories. A small module that requires it and maps each staging module
# to its published version (v0.X.Y for Kubernetes 1.X.Y) builds it. Each
# binary is written under a temporary name and renamed when complete, so an
# interrupted build is never mistaken for a cached one.
build() {
  [ -x "$APISERVER" ] && [ -x "$KUBECTL" ] && return 0
  need go "install Go 1.26 (https://go.dev/dl)"
  local dir="$KUBE_CACHE_DIR/build-v$KUBE_VERSION"
  mkdir -p "$dir"
  say "building kube-apiserver and kubectl v$KUBE_VERSION into $KUBE_CACHE_DIR (once; about 10 minutes on 2 cores)"
  (
    cd "$dir"
    export GOWORK=off GOFLAGS=
    local mods
    mods=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' \
           | xargs grep -E '=> ./staging' | awk '{print $1}')
    [ -n "$mods" ] || die "k8s.io/kubernetes@v$KUBE_VERSION: no staging modules found in its go.mod"
    { echo "module kubeapiserver"; echo "go 1.26.0"; echo "require k8s.io/kubernetes v$KUBE_VERSION"
      for m in $mods; do echo "replace $m => $m v0.${KUBE_VERSION#1.}"; done; } > go.mod
    printf 'package main\nimport (\n_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n_ "k8s.io/kubernetes/cmd/kubectl"\n)\nfunc main() {}\n' > tools.go
    go mod tidy
    local started=$SECONDS
    go build -o "$APISERVER.tmp" k8s.io/kubernetes/cmd/kube-apiserver
    mv "$APISERVER.tmp" "$APISERVER"
    go build -o "$KUBECTL.tmp" k8s.io/kubernetes/cmd/kubectl
    mv "$KUBECTL.tmp" "$KUBECTL"
    say "built in $((SECONDS - started))s"
  ) >&2 || die "building Kubernetes v$KUBE_VERSION failed (output above)"
}

# ensure_etcd installs Debian's etcd-server when etcd is missing, as CI
# installs kcat.
ensure_etcd() {
  command -v etcd >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing etcd-server with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
  fi
  need etcd "install etcd 3.4+ (e.g. apt-get install etcd-server)"
}

pid_running() {
  [ -f "$K8S_STATE_DIR/$1.pid" ] && kill -0 "$(cat "$K8S_STATE_DIR/$1.pid")" 2>/dev/null
}

running() { pid_running etcd && pid_running apiserver; }

token() { cat "$K8S_STATE_DIR/token"; }

ready() {
  curl -fsS -k --max-time 2 -H "Authorization: Bearer $(token)" "https://127.0.0.1:$K8S_PORT/readyz" >/dev/null 2>&1
}

taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for polls "$@" every 0.2s until it succeeds, for at most limit
# seconds; a process that dies meanwhile ends the wait at once.
wait_for() {
  local what=$1 limit=$2 proc=$3 log=$4; shift 4
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if ! pid_running "$proc"; then tail -n 30 "$log" >&2; down; die "$proc exited while waiting for $what; log above"; fi
    if [ "$SECONDS" -ge "$deadline" ]; then tail -n 30 "$log" >&2; down; die "no $what within ${limit}s; log above"; fi
    sleep 0.2
  done
}

start() {
  local name=$1; shift
  nohup "$@" >"$K8S_STATE_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$K8S_STATE_DIR/$name.pid"
}

# crd_file prints the path of a file inside a module zip, downloaded
# through the Go module proxy (outside any module, so nothing here changes).
crd_file() {
  local dir
  dir=$(cd "$K8S_STATE_DIR" && GOWORK=off GOFLAGS= go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] && [ -f "$dir/$2" ] || die "$1 has no $2"
  echo "$dir/$2"
}

write_kubeconfig() {
  cat >"$KUBECONFIG_FILE" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$K8S_PORT
      certificate-authority: $K8S_STATE_DIR/certs/apiserver.crt
users:
  - name: admin
    user:
      token: $(token)
contexts:
  - name: local
    context: {cluster: local, user: admin, namespace: default}
current-context: local
KUBECONFIG
  chmod 600 "$KUBECONFIG_FILE"
}

kubectl_() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

up() {
  if running && ready; then
    say "reusing the running API server (PIDs $(cat "$K8S_STATE_DIR/apiserver.pid"), etcd $(cat "$K8S_STATE_DIR/etcd.pid")) on https://127.0.0.1:$K8S_PORT"
    return 0
  fi
  down
  for port in "$K8S_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT"; do
    taken "$port" && die "port $port is taken by something this script did not start; set K8S_PORT or ETCD_PORT"
  done
  build
  ensure_etcd
  need openssl "install openssl (the service account signing key)"
  need curl "install curl (the readiness check)"
  mkdir -p "$K8S_STATE_DIR/etcd" "$K8S_STATE_DIR/certs"
  openssl genrsa -out "$K8S_STATE_DIR/sa.key" 2048 2>/dev/null
  openssl rsa -in "$K8S_STATE_DIR/sa.key" -pubout -out "$K8S_STATE_DIR/sa.pub" 2>/dev/null
  openssl rand -hex 24 >"$K8S_STATE_DIR/token"
  echo "$(token),admin,admin,system:masters" >"$K8S_STATE_DIR/tokens.csv"

  local started
  started=$(date +%s%N)
  start etcd etcd --name default --data-dir "$K8S_STATE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT"
  wait_for "etcd health" 30 etcd "$K8S_STATE_DIR/etcd.log" \
    curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$ETCD_PORT/health"
  start apiserver "$APISERVER" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --secure-port="$K8S_PORT" --bind-address=127.0.0.1 \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$K8S_STATE_DIR/sa.pub" --service-account-signing-key-file="$K8S_STATE_DIR/sa.key" \
    --cert-dir="$K8S_STATE_DIR/certs" --authorization-mode=RBAC --token-auth-file="$K8S_STATE_DIR/tokens.csv" \
    --service-cluster-ip-range=10.96.0.0/12
  wait_for "ready API server (/readyz)" 90 apiserver "$K8S_STATE_DIR/apiserver.log" ready
  local ms=$((($(date +%s%N) - started) / 1000000))
  say "etcd and kube-apiserver v$KUBE_VERSION ready on https://127.0.0.1:$K8S_PORT after $((ms / 1000)).$(printf %03d $((ms % 1000)))s (logs: $K8S_STATE_DIR)"
  write_kubeconfig

  # The manifests' custom resources need their definitions, as published.
  local crds=(
    "$(crd_file "$PROMETHEUS_OPERATOR" example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml)"
    "$(crd_file "$KEDA" config/crd/bases/keda.sh_scaledobjects.yaml)"
  )
  # create, not apply: apply would store each definition again in an
  # annotation, which is larger than an annotation may be.
  kubectl_ create -f "${crds[0]}" -f "${crds[1]}" >&2
  kubectl_ wait --for=condition=Established --timeout=60s \
    crd/servicemonitors.monitoring.coreos.com crd/scaledobjects.keda.sh >&2 \
    || { down; die "the CRDs did not become Established within 60s"; }
  say "up: $(basename "$KUBECTL") with KUBECONFIG=$KUBECONFIG_FILE (eval \"\$(scripts/k8s.sh env)\")"
}

stop() {
  local name=$1 pid
  [ -f "$K8S_STATE_DIR/$name.pid" ] || return 0
  pid=$(cat "$K8S_STATE_DIR/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then say "PID $pid ($name) ignored SIGTERM for 30s; killing"; kill -KILL "$pid"; fi
    say "stopped $name (PID $pid)"
  fi
}

down() {
  stop apiserver
  stop etcd
  rm -rf "$K8S_STATE_DIR"
}

case "${1:-}" in
  build) build ;;
  up) up ;;
  down) down ;;
  status)
    if running && ready; then echo "kube-apiserver v$KUBE_VERSION ready on https://127.0.0.1:$K8S_PORT, PIDs $(cat "$K8S_STATE_DIR/apiserver.pid") (etcd $(cat "$K8S_STATE_DIR/etcd.pid"))"
    else echo "not running"; exit 1; fi ;;
  env) printf 'export KUBECONFIG=%q\nexport KUBECTL=%q\n' "$KUBECONFIG_FILE" "$KUBECTL" ;;
  kubectl) shift; [ -f "$KUBECONFIG_FILE" ] || die "not up: run scripts/k8s.sh up (make k8s-up) first"; exec "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@" ;;
  *) die "usage: k8s.sh build|up|down|status|env|kubectl ARGS..." ;;
esac
