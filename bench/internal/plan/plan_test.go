package plan

import (
	"slices"
	"testing"
)

func TestRotatedPutsEveryContenderInEveryPositionOverTheRounds(t *testing.T) {
	entries := []Entry{{Contender: "a"}, {Contender: "b"}, {Contender: "c"}}
	positions := map[string]map[int]bool{}
	for r := range len(entries) {
		order := Rotated(entries, r)
		if len(order) != len(entries) {
			t.Fatalf("round %d: %d entries, want %d", r, len(order), len(entries))
		}
		for i, e := range order {
			if positions[e.Contender] == nil {
				positions[e.Contender] = map[int]bool{}
			}
			positions[e.Contender][i] = true
		}
	}
	for name, at := range positions {
		if len(at) != len(entries) {
			t.Errorf("%s ran in positions %v over %d rounds, want every position", name, at, len(entries))
		}
	}
	if got := Rotated(entries, 1); got[0].Contender != "b" || got[2].Contender != "a" {
		t.Errorf("round 1 order %v, want b c a", got)
	}
}

func TestPlanHasTheIssuesWorkloads(t *testing.T) {
	ws := Plan(FullSizes)
	byName := map[string]Workload{}
	for _, w := range ws {
		byName[w.Name] = w
		for _, b := range w.Baselines {
			if !slices.ContainsFunc(w.Contenders, func(e Entry) bool { return e.Contender == b }) {
				t.Errorf("%s: baseline %s is not one of its contenders", w.Name, b)
			}
		}
	}
	for name, want := range map[string][3]int64{ // partitions, messages, value bytes
		"200B": {12, 1_000_000, 200}, "4KiB": {12, 200_000, 4096}, "key-ordering": {1, 10_000, 200},
		"scale-1": {1, 200_000, 200}, "scale-12": {12, 200_000, 200}, "scale-96": {96, 200_000, 200}, "scale-384": {384, 200_000, 200},
	} {
		s := byName[name].Shape
		if got := [3]int64{int64(s.Partitions), s.N, int64(s.ValueBytes)}; got != want {
			t.Errorf("%s: shape %v, want %v", name, got, want)
		}
	}
	if got := byName["scale-1"].Title; got != "1 partition, 200,000 × 200 B, no-op handler" {
		t.Errorf("scale-1 title %q", got)
	}
	if k := byName["key-ordering"]; k.Shape.Keys != 500 || k.HandlerDelay.Milliseconds() != 2 || k.Contenders[0].Workers != 64 {
		t.Errorf("key ordering: %+v", k)
	}
}

func TestCountSeparatesThousands(t *testing.T) {
	for n, want := range map[int64]string{1: "1", 999: "999", 1000: "1,000", 200_000: "200,000", 1_000_000: "1,000,000"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
