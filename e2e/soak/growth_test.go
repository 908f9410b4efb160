package soak

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// series makes samples every 10s for minutes, series Heap set by f (t in
// seconds) plus Gaussian noise of relative size noise, from a fixed seed.
func series(minutes int, noise float64, f func(t float64, paired bool) float64, paired func(t float64) bool) []Sample {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []Sample
	for t := 0.0; t <= float64(minutes*60); t += 10 {
		p := paired != nil && paired(t)
		v := f(t, p)
		var s Sample
		s.Elapsed, s.Paired = time.Duration(t*float64(time.Second)), p
		s.Values[Heap] = v * (1 + noise*rng.NormFloat64())
		out = append(out, s)
	}
	return out
}

// everyMinute alternates the phase each minute, as the CI soak's
// rebalances do: alone, then paired, then alone…
func everyMinute(t float64) bool { return int(t/60)%2 == 1 }

// TestGrowthRule: the rule on synthetic series, as the README states it.
func TestGrowthRule(t *testing.T) {
	const base = 100e6
	for _, tt := range []struct {
		name    string
		samples []Sample
		grows   bool
	}{
		{"flat with 5% noise, 5 minutes", series(5, 0.05, func(float64, bool) float64 { return base }, nil), false},
		{"flat with 5% noise, 60 minutes", series(60, 0.05, func(float64, bool) float64 { return base }, nil), false},
		{"GC sawtooth, 30% deep, period 50s", series(60, 0, func(t float64, _ bool) float64 {
			return base * (1 + 0.3*math.Mod(t, 50)/50)
		}, nil), false},
		{"warm-up: rising through the first half, then flat", series(60, 0.02, func(t float64, _ bool) float64 {
			return base * (1 + min(t, 1500)/1500)
		}, nil), false},
		{"step up 50% in the first half, then flat", series(60, 0.02, func(t float64, _ bool) float64 {
			if t > 1000 {
				return 1.5 * base
			}
			return base
		}, nil), false},
		{"slow linear growth: 0.5%/min with 5% noise, 60 minutes", series(60, 0.05, func(t float64, _ bool) float64 {
			return base * (1 + 0.005*t/60)
		}, nil), true},
		{"linear growth: 8%/min with 5% noise, 5 minutes", series(5, 0.05, func(t float64, _ bool) float64 {
			return base * (1 + 0.08*t/60)
		}, nil), true},
		{"growth below the minimum: 5% over the last half, no noise", series(60, 0, func(t float64, _ bool) float64 {
			return base * (1 + 0.05*max(t-1800, 0)/1800)
		}, nil), false},
		{"step up 30% in the last half, then flat", series(60, 0.02, func(t float64, _ bool) float64 {
			if t > 2700 {
				return 1.3 * base
			}
			return base
		}, nil), true},
		{"rebalance steps: 25% lower while paired, otherwise flat", series(5, 0.02, func(_ float64, p bool) float64 {
			if p {
				return 0.75 * base
			}
			return base
		}, everyMinute), false},
		{"rebalance steps and linear growth of 8%/min", series(5, 0.02, func(t float64, p bool) float64 {
			v := base * (1 + 0.08*t/60)
			if p {
				v *= 0.75
			}
			return v
		}, everyMinute), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := LastHalfTrend(tt.samples, Heap)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Grows() != tt.grows {
				t.Fatalf("%v; want grows=%v", tr, tt.grows)
			}
			t.Log(tr)
		})
	}
}

// TestGrowthRuleCountsNeedAbsoluteGrowth: descriptors and goroutines
// must also grow by more than their MinGrowth (8 and 20): 5 more
// descriptors at a level of 25, or 15 more goroutines at 75, pass however
// steady; 12 descriptors or 30 goroutines fail. The memory series have
// no such floor.
func TestGrowthRuleCountsNeedAbsoluteGrowth(t *testing.T) {
	for _, tt := range []struct {
		series      int
		level, rise float64
		grows       bool
	}{
		{FDs, 25, 5, false},
		{FDs, 25, 12, true},
		{Goroutines, 75, 15, false},
		{Goroutines, 75, 30, true},
		{RSS, 45e6, 9e6, true},
		{Heap, 25e6, 5e6, true},
	} {
		s := series(5, 0, func(t float64, _ bool) float64 { return tt.level + tt.rise*max(t-150, 0)/150 }, nil)
		for j := range s {
			s[j].Values[tt.series] = math.Round(s[j].Values[Heap])
		}
		tr, err := LastHalfTrend(s, tt.series)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Grows() != tt.grows {
			t.Errorf("%s at %v rising by %v over the last half: %v; want grows=%v", SeriesName(tt.series), tt.level, tt.rise, tr, tt.grows)
		}
	}
}

// TestGrowthRuleFitsExactly: on an exact line the slope, growth and fit
// are the line's, T is infinite, and the last half starts at half time.
func TestGrowthRuleFitsExactly(t *testing.T) {
	s := series(10, 0, func(t float64, _ bool) float64 { return 1000 + 2*t }, nil)
	tr, err := LastHalfTrend(s, Heap)
	if err != nil {
		t.Fatal(err)
	}
	if s[tr.From].Elapsed != 5*time.Minute || math.Abs(tr.Slope-2) > 1e-9 || !math.IsInf(tr.T, 1) ||
		math.Abs(tr.Growth-600) > 1e-6 || math.Abs(tr.Fitted[0]-1600) > 1e-6 || len(tr.Fitted) != len(s)-tr.From {
		t.Fatalf("trend %+v", tr)
	}
	if want := 600.0 / 1900; math.Abs(tr.Relative-want) > 1e-9 {
		t.Fatalf("relative %v, want %v", tr.Relative, want)
	}
	flat, err := LastHalfTrend(series(10, 0, func(float64, bool) float64 { return 7 }, nil), Heap)
	if err != nil || flat.T != 0 || flat.Grows() {
		t.Fatalf("exactly flat: %+v, %v", flat, err)
	}
}

// TestGrowthRuleNeedsSamples: too short a run is an error, not a pass.
func TestGrowthRuleNeedsSamples(t *testing.T) {
	if _, err := LastHalfTrend(series(0, 0, func(float64, bool) float64 { return 1 }, nil), Heap); err == nil {
		t.Fatal("one sample: want an error")
	}
	if _, err := LastHalfTrend(nil, Heap); err == nil {
		t.Fatal("no samples: want an error")
	}
	if _, err := LastHalfTrend(series(1, 0, func(float64, bool) float64 { return 1 }, nil), Heap); err == nil {
		t.Fatal("a minute of samples (4 in the last half): want an error")
	}
}
