#!/usr/bin/env bash
# bench-peers.sh — `make bench-peers`: consumerkit against its peers on a
# real broker, with the suite of bench/ (a Go module of its own, so that
# the peers' libraries stay out of the framework's go.mod).
#
# Against KAFKA_BROKERS when it is set; otherwise it starts Apache Kafka
# with scripts/kafka.sh (KAFKA_PORT, default 9092; KAFKA_VERSION, default
# 4.1.1) and stops it at the end — unless a broker was already running
# there, which it uses and leaves running.
#
# Settings (environment): ROUNDS (7), BENCH_QUICK=1 (small topics, one
# round: a smoke test whose figures mean nothing), BENCH_OUT (default
# bench/results/<UTC time>), BENCH_ONLY (comma-separated workloads).
# Needs kcat (apt-get install kcat; make test-tools installs it).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "bench-peers: $*" >&2; }

command -v kcat >/dev/null || { say "kcat is missing (apt-get install kcat, or make test-tools)"; exit 1; }
say "building bench/bin/benchpeers"
(cd "$REPO/bench" && go build -o bin/benchpeers ./cmd/benchpeers)

if [ -z "${KAFKA_BROKERS:-}" ]; then
  export KAFKA_PORT=${KAFKA_PORT:-9092} KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
  if "$REPO/scripts/kafka.sh" status >/dev/null 2>&1; then
    say "using the broker already running on 127.0.0.1:$KAFKA_PORT (left running)"
  else
    trap '"$REPO/scripts/kafka.sh" down || true' EXIT
    "$REPO/scripts/kafka.sh" up
  fi
  export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
fi

export BENCH_COMMIT=${BENCH_COMMIT:-$(git -C "$REPO" describe --always --dirty --abbrev=12)}
export BENCH_OUT=${BENCH_OUT:-$REPO/bench/results/$(date -u +%Y-%m-%dT%H%MZ)}
start=$SECONDS
cd "$REPO/bench"
bin/benchpeers run
say "took $((SECONDS - start))s; results in $BENCH_OUT"
