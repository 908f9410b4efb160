#!/usr/bin/env bash
# Mutation testing of the packages where it is cheap (README: make mutation).
#
# For every package, gremlins changes the code one operator at a time (a <
# that becomes <=, a + that becomes -, a == that becomes !=, ...) and runs
# the package's tests against each change. A change the tests catch is
# KILLED; one they let pass LIVED. Test efficacy is KILLED / (KILLED +
# LIVED); mutator coverage is the share of changes that any test runs at
# all. Each package must reach THRESHOLD_EFFICACY and THRESHOLD_MCOVER, or
# this script fails. It checks them itself: gremlins v0.6.0 ignores its own
# --threshold-* flags (they reach it as strings and read as 0; upstream
# issue go-gremlins/gremlins#216), so they would gate nothing.
#
#   scripts/mutation.sh                 every package below
#   scripts/mutation.sh cache config    only those
#
# Environment: MUTATION_WORKERS (default: one per CPU), THRESHOLD_EFFICACY
# (90), THRESHOLD_MCOVER (90), MUTATION_TIMEOUT_COEFFICIENT (10).
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_VERSION=v0.6.0
threshold_efficacy=${THRESHOLD_EFFICACY:-90}
threshold_mcover=${THRESHOLD_MCOVER:-90}
# gremlins gives each mutant's test run the time the package's coverage
# run took, times this. A run under mutation also compiles the mutant, on
# a machine busy with the other workers: 10 leaves room for that, and for
# the tests that fail only when a bounded wait (at most 10s) runs out.
timeout_coefficient=${MUTATION_TIMEOUT_COEFFICIENT:-10}

# name, path (from the module root), extra gremlins flags.
# - message: its tree holds middleware/, which is measured on its own.
# - watchdog: the leak assertion that lived in watchdog/leaktest is now
#   part of the test kit (pkg/consumertest/handlertest, VerifyNoLeaks),
#   which is not under mutation testing yet.
# - kafka (broker-free units): the engine's delivery units — offset
#   window, retry policy, call contexts and their watchdog slots,
#   delivery and letter hand-off, letters, batch accumulator, workers,
#   lanes, the handler call — under the brokerfree build tag, which
#   leaves out every test that starts the embedded broker (files tagged
#   //go:build !brokerfree), so a mutant costs about 2s, not 2 minutes.
#   Only those files are mutated: the rest of the package (engine,
#   subscriptions, retry topics, generation, partition run and fetch,
#   liveness and status, metrics) is exercised only by the broker tests,
#   and the packages beside it (conn, dlq, embedded, publish) are not the
#   engine's units. inmemory*.go (RunInMemory, the test kit's seam)
#   and kafkatest/ are the test kit's, tested with it. The session
#   fetcher's broker-facing files (brokerfetch*.go) are exercised only by
#   broker tests (kfake), so they are left out like fetch.go. Its record
#   and response decoding are broker-free units, unit-tested and fuzzed
#   (FuzzRecordIter), but not under mutation testing yet: included, they
#   left 25 mutants living and 17 not covered (kafka-units 90.03%, 893s),
#   mostly boundaries of length checks; the fetcher is opt-in meanwhile. config_validate.go and config_subscriptions.go are left
#   out too: Validate is table-tested broker-free (config_test.go), but its
#   137 mutants would double the run; it is not under mutation testing yet.
#   Five mutants are known to live, none changing behaviour: the
#   thresholds of window.go's memory reclaim, which only move when the slice is
#   compacted (3); committable's commit >= 0, where commit is never 0
#   (a next offset is a done offset + 1); and worker.go's d > 0 before a
#   due wait, where sleeping 0 returns at once either way.
# - scaffold: the pure parts of `consumer new handler` — names, topics,
#   the handler's options and subscription, the configuration file's
#   edit. What reads and writes a repository, edits Go source or renders
#   templates is left out (its tests build fixture repositories and are
#   slower per mutant), and so are the service generator's files. One
#   mutant is known to live, changing nothing: configfile.go's
#   i+1 < len(m.Content) as i+1 <= len, a mapping's content being pairs.
packages=(
  "message|./pkg/message|--exclude-files=^middleware/"
  "message/middleware|./pkg/message/middleware|"
  "lifecycle|./pkg/lifecycle|"
  "registry|./pkg/registry|"
  "cache|./internal/cache|"
  "config|./pkg/config|"
  "watchdog|./pkg/watchdog|"
  "scaffold|./pkg/scaffold|--exclude-files=^(callers|changes|declared|doc|layout|newhandler|register|render|repo|wiretool|service[a-z_]*)\\.go$"
  "kafka-units|./pkg/kafka|--tags=brokerfree --exclude-files=^((conn|dlq|embedded|publish|kafkatest)/|(brokerfetch|brokerfetch_offsets|brokerfetch_partition|brokerfetch_placer|brokerfetch_record|brokerfetch_records|brokerfetch_response|brokerfetch_round|brokerfetch_session|config|config_subscriptions|config_validate|demofeed|doc|engine|fetch|generation|health|inmemory|inmemory_outcomes|inspect|live|live_metrics|metrics|partition|partition_health|partition_status|retrytopics|subscription|wire)\\.go$)"
)

gobin=$(go env GOBIN)
gobin=${gobin:-$(go env GOPATH)/bin}
gremlins=$gobin/gremlins
if ! go version -m "$gremlins" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/go-gremlins/gremlins[[:space:]]+$GREMLINS_VERSION[[:space:]]"; then
  echo "== installing gremlins $GREMLINS_VERSION"
  go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
fi

# -count=1: a cached coverage run would take no time, and gremlins derives
# every mutant's timeout from it. -vet=off: a mutant counts as killed only
# when a test fails, not when go vet objects, and vet per mutant is time.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1 -vet=off"

workers=()
if [[ -n ${MUTATION_WORKERS:-} ]]; then
  workers=(--workers "$MUTATION_WORKERS")
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# field N of gremlins' report line "LABEL: N", e.g. "Killed: 12, Lived: 1".
field() { sed -n "s/.*$2: \([0-9.]*\).*/\1/p" "$1" | head -n 1; }

names=()
for entry in "${packages[@]}"; do
  names+=("${entry%%|*}")
done
for want in "$@"; do
  if [[ ! " ${names[*]} " =~ " $want " ]]; then
    echo "unknown package $want; one of: ${names[*]}" >&2
    exit 2
  fi
done

summary=()
failed=()
for entry in "${packages[@]}"; do
  IFS='|' read -r name path extra <<<"$entry"
  if [[ $# -gt 0 && ! " $* " =~ " $name " ]]; then
    continue
  fi
  echo "== mutation testing $name ($path)"
  log=$out/$(tr / _ <<<"$name").log
  start=$SECONDS
  rc=0
  # shellcheck disable=SC2086 # $extra is empty or flags without spaces
  "$gremlins" unleash "${workers[@]}" --timeout-coefficient "$timeout_coefficient" \
    $extra "$path" >"$log" 2>&1 || rc=$?
  # Every mutant that was not killed, so the log says what to look at.
  grep -E '^ *(LIVED|NOT COVERED|TIMED OUT|NOT VIABLE) ' "$log" || true
  efficacy=$(field "$log" 'Test efficacy')
  mcover=$(field "$log" 'Mutator coverage')
  if [[ $rc -ne 0 || -z $efficacy || -z $mcover ]]; then
    cat "$log"
    failed+=("$name (gremlins failed)")
  elif ! awk -v e="$efficacy" -v c="$mcover" -v te="$threshold_efficacy" -v tc="$threshold_mcover" \
    'BEGIN { exit !(e >= te && c >= tc) }'; then
    failed+=("$name")
  fi
  line=$(printf '%-20s efficacy %7s%%  mutator coverage %7s%%  killed %3s  lived %2s  timed out %2s  not covered %2s  %4ss' \
    "$name" "$efficacy" "$mcover" "$(field "$log" Killed)" "$(field "$log" Lived)" "$(field "$log" 'Timed out')" "$(field "$log" 'Not covered')" \
    "$((SECONDS - start))")
  echo "$line"
  summary+=("$line")
done

echo "== mutation testing summary (each package needs efficacy >= $threshold_efficacy%, mutator coverage >= $threshold_mcover%)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'FAIL: below the thresholds: %s\n' "${failed[@]}" >&2
  exit 1
fi
