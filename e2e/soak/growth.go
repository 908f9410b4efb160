package soak

import (
	"fmt"
	"math"
)

// The growth rule's thresholds; README "Soak" states them too.
const (
	// TCritical is the t-statistic above which a slope counts as
	// significantly above zero: one-sided, about 99.9% for the 15 to 180
	// samples of a 5 to 60 minute run's last half, were the residuals
	// independent. They are not (GC cycles, batching), so it is set high,
	// and MinRelativeGrowth does the rest.
	TCritical = 3.0
	// MinRelativeGrowth is how much a series must grow over the last half
	// of the run, as a share of its mean there, to fail: below it, warm-up
	// tails and GC noise pass however significant their slope.
	MinRelativeGrowth = 0.10
	// minPoints is the fewest samples in the last half the rule accepts.
	minPoints = 6
)

// minGrowth is, per series, the least growth over the last half that can
// fail, beside MinRelativeGrowth: counts that move by a handful for
// reasons that are no leak (kafka-go opens and idles out connections,
// each with its goroutines, as partitions change hands) would otherwise
// trip 10% of a level of 25 descriptors or 75 goroutines. The memory
// series need none: 10% of tens of MiB is already megabytes.
var minGrowth = [NumSeries]float64{RSS: 0, Heap: 0, Goroutines: 20, FDs: 8}

// MinGrowth returns the least growth over the last half that can fail
// series i: 20 goroutines, 8 descriptors, 0 for RSS and heap.
func MinGrowth(i int) float64 { return minGrowth[i] }

// Trend is a series' least-squares trend over the last half of a run.
type Trend struct {
	// From is the index of the first sample of the last half.
	From int
	// Slope is the fitted growth per second.
	Slope float64
	// T is Slope over its standard error; +Inf for a rising series that
	// the fit matches exactly, 0 for an exactly flat one.
	T float64
	// Growth is Slope times the last half's span, and Relative that as a
	// share of the series' mean over it.
	Growth, Relative float64
	// Floor is the series' MinGrowth.
	Floor float64
	// PhaseAdjusted is true when the fit gave the samples taken while a
	// second instance shared the group a level of their own.
	PhaseAdjusted bool
	// Fitted holds the fitted value of each sample from From on.
	Fitted []float64
}

// Grows is the rule: a series grows when its slope over the last half is
// significantly above zero (T > TCritical) and it grew by more than
// MinRelativeGrowth of its mean there and by more than its MinGrowth.
func (t Trend) Grows() bool {
	return t.T > TCritical && t.Relative > MinRelativeGrowth && t.Growth > t.Floor
}

// String reports the trend with the rule's verdict.
func (t Trend) String() string {
	verdict := "flat"
	if t.Grows() {
		verdict = "GROWS"
	}
	return fmt.Sprintf("%s: slope %.4g/s, t %.2f, %+.4g (%+.1f%%) over the last half (phase-adjusted %v)",
		verdict, t.Slope, t.T, t.Growth, 100*t.Relative, t.PhaseAdjusted)
}

// LastHalfTrend fits series i of samples (in time order) over the last
// half of the run, by time: y = a + b·t, by ordinary least squares, with
// the standard error of b from the residuals. When the last half holds
// samples of both phases (Sample.Paired true and false), the fit is
// y = a + b·t + c·paired instead: the level a rebalance moves the series
// to is fitted apart, so the steps of the rebalances are not taken for
// growth, and b is the growth within the phases. A step that no phase
// explains is growth as far as the rule can tell: after the first half
// it fails when large enough; during the first half (warm-up) it does
// not count.
func LastHalfTrend(samples []Sample, i int) (Trend, error) {
	if len(samples) == 0 {
		return Trend{}, fmt.Errorf("no samples")
	}
	mid := samples[len(samples)-1].Elapsed / 2
	from := 0
	for from < len(samples) && samples[from].Elapsed < mid {
		from++
	}
	window := samples[from:]
	if len(window) < minPoints {
		return Trend{}, fmt.Errorf("%d samples in the last half, need at least %d: run longer", len(window), minPoints)
	}
	paired := 0
	for _, s := range window {
		if s.Paired {
			paired++
		}
	}
	phased := paired > 0 && paired < len(window)
	k := 2
	if phased {
		k = 3
	}
	var tMean float64
	for _, s := range window {
		tMean += s.Elapsed.Seconds()
	}
	tMean /= float64(len(window))
	row := func(s Sample) []float64 {
		r := []float64{1, s.Elapsed.Seconds() - tMean}
		if phased {
			p := 0.0
			if s.Paired {
				p = 1
			}
			r = append(r, p)
		}
		return r
	}
	xtx := make([][]float64, k)
	for r := range xtx {
		xtx[r] = make([]float64, k)
	}
	xty := make([]float64, k)
	var mean float64
	for _, s := range window {
		x, y := row(s), s.Values[i]
		mean += y
		for r := range k {
			xty[r] += x[r] * y
			for c := range k {
				xtx[r][c] += x[r] * x[c]
			}
		}
	}
	mean /= float64(len(window))
	inv, err := invert(xtx)
	if err != nil {
		return Trend{}, fmt.Errorf("series %s: %w", SeriesName(i), err)
	}
	beta := make([]float64, k)
	for r := range k {
		for c := range k {
			beta[r] += inv[r][c] * xty[c]
		}
	}
	tr := Trend{From: from, Slope: beta[1], Floor: minGrowth[i], PhaseAdjusted: phased, Fitted: make([]float64, len(window))}
	var sse float64
	for j, s := range window {
		x := row(s)
		for r := range k {
			tr.Fitted[j] += beta[r] * x[r]
		}
		sse += (s.Values[i] - tr.Fitted[j]) * (s.Values[i] - tr.Fitted[j])
	}
	se := math.Sqrt(sse / float64(len(window)-k) * inv[1][1])
	switch {
	case se > 0:
		tr.T = tr.Slope / se
	case tr.Slope > 0:
		tr.T = math.Inf(1)
	case tr.Slope < 0:
		tr.T = math.Inf(-1)
	}
	tr.Growth = tr.Slope * (window[len(window)-1].Elapsed - window[0].Elapsed).Seconds()
	switch {
	case mean > 0:
		tr.Relative = tr.Growth / mean
	case tr.Growth > 0:
		tr.Relative = math.Inf(1)
	}
	return tr, nil
}

// invert inverts a small symmetric positive-definite matrix by
// Gauss-Jordan elimination with partial pivoting; a singular one (all
// samples at one time, say) is an error.
func invert(a [][]float64) ([][]float64, error) {
	n := len(a)
	m := make([][]float64, n)
	for r := range n {
		m[r] = make([]float64, 2*n)
		copy(m[r], a[r])
		m[r][n+r] = 1
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return nil, fmt.Errorf("the samples cannot be fitted (singular design: too few distinct times or phases)")
		}
		m[c], m[p] = m[p], m[c]
		piv := m[c][c]
		for j := range 2 * n {
			m[c][j] /= piv
		}
		for r := range n {
			if r != c && m[r][c] != 0 {
				f := m[r][c]
				for j := range 2 * n {
					m[r][j] -= f * m[c][j]
				}
			}
		}
	}
	out := make([][]float64, n)
	for r := range n {
		out[r] = m[r][n:]
	}
	return out, nil
}
