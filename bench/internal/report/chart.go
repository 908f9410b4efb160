package report

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/consumerkit/consumerkit/bench/internal/plan"
	"github.com/consumerkit/consumerkit/bench/internal/stats"
)

// The chart's geometry, in pixels: a label column, the bars, and the
// figures at the right; one row per contender, one panel per workload.
const (
	chartW     = 1200
	labelX     = 8
	barX       = 450
	barW       = 480
	figureX    = barX + barW + 10
	rowH       = 20
	barH       = 12
	titleH     = 26
	panelGap   = 10
	chartTop   = 34
	chartFloor = 8
)

var (
	colInk      = color.RGBA{0x20, 0x20, 0x20, 0xff}
	colAxis     = color.RGBA{0xb0, 0xb0, 0xb0, 0xff}
	colOurs     = color.RGBA{0x1f, 0x5f, 0xbf, 0xff} // consumerkit
	colBaseline = color.RGBA{0x70, 0x70, 0x70, 0xff} // the workload's main baseline
	colPeer     = color.RGBA{0xe0, 0x8a, 0x2a, 0xff} // every other peer
	colRange    = color.RGBA{0x00, 0x00, 0x00, 0xff}
)

// Chart draws every workload as a panel of horizontal bars, one per
// contender: the bar is the median msgs/s, the black line across its end
// the range (min–max) over the rounds, each panel scaled from zero to its
// own highest value, its figures written beside it. Throughput workloads
// show msgs/s from the first message to the last; scaling workloads
// msgs/s from the process's start, since there a client that fetches
// most of the topic before handing over its first message (franz-go, one
// fetch for all partitions) would have no span to time.
func Chart(res Results) *image.RGBA {
	byName := map[string]Summary{}
	for _, s := range res.Summaries {
		byName[s.Workload] = s
	}
	h := chartTop + chartFloor
	for _, w := range res.Workloads {
		h += titleH + rowH*len(byName[w.Name].Rows) + panelGap
	}
	img := image.NewRGBA(image.Rect(0, 0, chartW, h))
	fill(img, img.Bounds(), color.White)
	text(img, labelX, 20, fmt.Sprintf("msgs/s per contender: bar = median of %d round(s), black line = min-max range. %s",
		res.Rounds, res.Started.UTC().Format("2006-01-02")), colInk)
	y := chartTop
	for _, w := range res.Workloads {
		y = panel(img, y, w, byName[w.Name])
	}
	return img
}

// panel draws workload w's rows from y down and returns where the next
// panel starts.
func panel(img *image.RGBA, y int, w plan.Workload, s Summary) int {
	measure, title := func(r Row) stats.Summary { return r.Rate }, w.Title+": msgs/s, first message to last"
	if w.Kind == "scaling" {
		measure, title = func(r Row) stats.Summary { return r.StartRate }, w.Title+": msgs/s from the process's start"
	}
	text(img, labelX, y+17, title, colInk)
	y += titleH
	high := 0.0
	for _, r := range s.Rows {
		high = max(high, measure(r).Max)
	}
	if high <= 0 {
		high = 1
	}
	x := func(v float64) int { return barX + int(math.Round(v/high*float64(barW))) }
	fill(img, image.Rect(barX-1, y, barX, y+rowH*len(s.Rows)), colAxis)
	for i, r := range s.Rows {
		top := y + i*rowH + (rowH-barH)/2
		text(img, labelX, top+10, clip(r.Label, (barX-labelX-8)/7), colInk)
		m := measure(r)
		if m.N > 0 {
			fill(img, image.Rect(barX, top, x(m.Median), top+barH), barColour(w, r))
			mid := top + barH/2
			fill(img, image.Rect(x(m.Min), mid-1, x(m.Max)+1, mid+1), colRange)
			fill(img, image.Rect(x(m.Min), top-1, x(m.Min)+1, top+barH+1), colRange)
			fill(img, image.Rect(x(m.Max), top-1, x(m.Max)+1, top+barH+1), colRange)
		}
		text(img, figureX, top+10, rateRange(m), colInk)
	}
	return y + rowH*len(s.Rows) + panelGap
}

func barColour(w plan.Workload, r Row) color.RGBA {
	switch {
	case len(w.Baselines) > 0 && r.Contender == w.Baselines[0]:
		return colBaseline
	case len(r.Contender) >= 11 && r.Contender[:11] == "consumerkit":
		return colOurs
	}
	return colPeer
}

func rateRange(s stats.Summary) string {
	if s.N == 0 {
		return "no runs"
	}
	return fmt.Sprintf("%s (%s-%s)", rate(s.Median), rate(s.Min), rate(s.Max))
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "~"
}

// text writes s with its baseline at (x, y) in the 7×13 basic font,
// which has ASCII only: anything else is replaced.
func text(img *image.RGBA, x, y int, s string, c color.Color) {
	ascii := []rune(s)
	for i, r := range ascii {
		switch {
		case r == '×':
			ascii[i] = 'x'
		case r == '–':
			ascii[i] = '-'
		case r > '~':
			ascii[i] = '?'
		}
	}
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(string(ascii))
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
}

// WritePNG writes Chart(res) to path.
func WritePNG(path string, res Results) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if err := png.Encode(f, Chart(res)); err != nil {
		_ = f.Close() // the encoder's error is the one to report
		return fmt.Errorf("chart %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("chart %s: %w", path, err)
	}
	return nil
}
