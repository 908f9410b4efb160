// Package stats summarises repeated measurements the way the benchmark
// suite reports them: a median with the range it came from, never a
// single best figure, and ratios taken round by round, so that a
// contender is compared with its baseline under the same conditions.
package stats

import (
	"fmt"
	"math"
	"slices"
)

// Summary is a median and the range (lowest, highest) of the values it
// summarises. N is how many values there were; a zero N means none.
type Summary struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// Summarize returns the median, lowest and highest of xs; for an even
// count the median is the mean of the two middle values. NaN values are
// left out (a round that has no value for a measure, such as goroutines
// of a non-Go process); with none left it returns the zero Summary.
func Summarize(xs []float64) Summary {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return Summary{}
	}
	slices.Sort(s)
	mid := len(s) / 2
	med := s[mid]
	if len(s)%2 == 0 {
		med = (s[mid-1] + s[mid]) / 2
	}
	return Summary{Median: med, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// RatiosPerRound divides each round's value by the same round's
// baseline: values[r] / base[r] for every round r present in both. A
// round missing from either, or whose baseline is not positive, has no
// ratio; it is left out, not counted as zero. The rounds are returned
// with the ratios, in ascending order.
func RatiosPerRound(values, base map[int]float64) (rounds []int, ratios []float64) {
	for r := range values {
		if b, ok := base[r]; ok && b > 0 {
			rounds = append(rounds, r)
		}
	}
	slices.Sort(rounds)
	for _, r := range rounds {
		ratios = append(ratios, values[r]/base[r])
	}
	return rounds, ratios
}

// Rate is the throughput of count messages of which the first arrived at
// firstNs and the last at lastNs (Unix nanoseconds): count-1 intervals
// over the span, so that the first message's own arrival, which ends
// start-up, is not counted as work. It is an error for fewer than two
// messages or a span that is not positive.
func Rate(count int64, firstNs, lastNs int64) (float64, error) {
	if count < 2 {
		return 0, fmt.Errorf("rate: %d messages, need at least 2", count)
	}
	if lastNs <= firstNs {
		return 0, fmt.Errorf("rate: last message at %d is not after the first at %d", lastNs, firstNs)
	}
	return float64(count-1) / (float64(lastNs-firstNs) / 1e9), nil
}
