package stats

import (
	"math"
	"slices"
	"testing"
)

func TestSummarizeGivesTheMedianAndTheRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want Summary
	}{
		{"odd count, unsorted", []float64{5, 1, 3}, Summary{Median: 3, Min: 1, Max: 5, N: 3}},
		{"even count: mean of the middle two", []float64{4, 1, 10, 2}, Summary{Median: 3, Min: 1, Max: 10, N: 4}},
		{"one value", []float64{7}, Summary{Median: 7, Min: 7, Max: 7, N: 1}},
		{"NaN left out", []float64{math.NaN(), 2, 8}, Summary{Median: 5, Min: 2, Max: 8, N: 2}},
		{"nothing", nil, Summary{}},
		{"only NaN", []float64{math.NaN()}, Summary{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.xs)
			if got := Summarize(tc.xs); got != tc.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tc.xs, got, tc.want)
			}
			if !slices.EqualFunc(in, tc.xs, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
				t.Errorf("Summarize reordered its argument: %v, was %v", tc.xs, in)
			}
		})
	}
}

func TestRatiosPerRoundPairEachRoundWithTheSameRound(t *testing.T) {
	// Round 1 has no baseline and round 3 no value; round 4's baseline
	// is zero. Pairing by position instead of by round, or counting the
	// missing rounds, gives other ratios.
	values := map[int]float64{0: 10, 1: 99, 2: 30, 4: 5}
	base := map[int]float64{0: 5, 2: 10, 3: 7, 4: 0}
	rounds, ratios := RatiosPerRound(values, base)
	if !slices.Equal(rounds, []int{0, 2}) || !slices.Equal(ratios, []float64{2, 3}) {
		t.Fatalf("RatiosPerRound = rounds %v ratios %v, want [0 2] [2 3]", rounds, ratios)
	}
}

func TestRatiosPerRoundAreNotTheRatioOfMedians(t *testing.T) {
	// A contender twice as fast as its baseline in every round, on a
	// machine whose speed changes between rounds: every ratio is 2,
	// while the medians of each side divide to something else.
	values := map[int]float64{0: 200, 1: 20, 2: 2000}
	base := map[int]float64{0: 100, 1: 10, 2: 1000}
	_, ratios := RatiosPerRound(values, base)
	if s := Summarize(ratios); s != (Summary{Median: 2, Min: 2, Max: 2, N: 3}) {
		t.Fatalf("ratios %v summarise to %+v, want 2 in every round", ratios, s)
	}
}

func TestRateCountsTheIntervalsBetweenFirstAndLast(t *testing.T) {
	got, err := Rate(1_000_001, 5e9, 7e9)
	if err != nil || got != 500_000 {
		t.Fatalf("Rate = %v, %v; want 500000 (1,000,000 intervals in 2s)", got, err)
	}
	if _, err := Rate(1, 0, 1); err == nil {
		t.Error("Rate of one message: no error")
	}
	if _, err := Rate(10, 5, 5); err == nil {
		t.Error("Rate over an empty span: no error")
	}
}
