#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the framework's repository for
# FUZZTIME (default 20s) each, one after another: go test takes one -fuzz
# target per run. The targets are listed below; the run fails before
# fuzzing if a listed target does not exist, or if a Fuzz function in the
# repository is not listed (each must get its CI time).
#
# Every target's seeds (its f.Add calls and testdata/fuzz/<target>/) run in
# plain `go test` too. Inputs that reach new coverage go to Go's cache
# ($GOCACHE/fuzz), not to the checkout; an input that fails a target is
# written to testdata/fuzz/<target>/ and the run fails: fix the code and
# commit the input, which stays as a regression seed.
#
# FUZZPARALLEL (default 1) is the number of fuzzing processes per target.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-20s}
FUZZPARALLEL=${FUZZPARALLEL:-1}

# package target
targets=(
  "./pkg/config FuzzLoadFile"
  "./pkg/config FuzzLoadEnv"
  "./pkg/config FuzzLoadFlags"
  "./pkg/kafka FuzzRetryHeaderDecode"
  "./pkg/kafka FuzzLetterHeaderRoundTrip"
  "./pkg/kafka FuzzRecordIter"
  "./pkg/kafka/dlq FuzzReplayFilter"
  "./pkg/admin FuzzPutLogLevel"
  "./internal/service FuzzOrdersEnricherDecode"
)

echo "== fuzz targets: listed against the packages' own (go test -list)"
declare -A listed=()
for t in "${targets[@]}"; do
  listed[$t]=1
done
# The packages of the list and every package with a Fuzz function.
mapfile -t pkgs < <({
  for t in "${targets[@]}"; do echo "${t%% *}"; done
  git grep --untracked -l -E '^func Fuzz[A-Z]' -- '*_test.go' | xargs -r -n1 dirname | sed 's|^|./|'
} | sort -u)
problems=0
for pkg in "${pkgs[@]}"; do
  # -list prints the names that match, then the package's ok line.
  mapfile -t found < <(go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' || true)
  for name in "${found[@]}"; do
    if [[ -z ${listed["$pkg $name"]:-} ]]; then
      echo "fuzz.sh: $pkg has $name, which the list in scripts/fuzz.sh does not run" >&2
      problems=1
    fi
  done
  for t in "${targets[@]}"; do
    [[ ${t%% *} == "$pkg" ]] || continue
    name=${t#* }
    if ! printf '%s\n' "${found[@]}" | grep -qx "$name"; then
      echo "fuzz.sh: $pkg has no fuzz target $name (go test -list '^Fuzz' $pkg)" >&2
      problems=1
    fi
  done
done
if ((problems)); then
  exit 1
fi

# inputs counts the files of a corpus directory (0 when there is none).
inputs() {
  if [[ -d $1 ]]; then find "$1" -type f | wc -l; else echo 0; fi
}

start=$SECONDS
for t in "${targets[@]}"; do
  pkg=${t%% *}
  name=${t#* }
  corpus="$pkg/testdata/fuzz/$name"
  before=$(inputs "$corpus")
  echo "== $name ($pkg) for $FUZZTIME"
  log=$(mktemp)
  rc=0
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZPARALLEL" "$pkg" 2>&1 | tee "$log" || rc=$?
  after=$(inputs "$corpus")
  # Go before 1.27 may fail a run that found nothing with a bare "context
  # deadline exceeded" as -fuzztime ends (golang/go#75804, a race in the
  # fuzzing coordinator): no failing input is written then. That run
  # passed; any other failure, or one that wrote an input, fails this.
  if ((rc != 0)) && ((after == before)) && ! grep -q 'Failing input written' "$log" &&
    grep -qx $'    context deadline exceeded' "$log" &&
    [[ $(grep -c -E '^\s+[a-z_]+\.go:[0-9]+:' "$log") == 0 ]]; then
    echo "== $name: the run ended with Go's fuzztime race (golang/go#75804), no failing input: passed"
    rc=0
  fi
  rm -f "$log"
  if ((rc != 0)); then
    echo "fuzz.sh: $name failed; a failing input is kept in $corpus (commit it with the fix)" >&2
    exit "$rc"
  fi
done
echo "== fuzz: ${#targets[@]} targets, $FUZZTIME each, $((SECONDS - start))s in all"
