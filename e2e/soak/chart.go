package soak

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

// The chart's geometry, in pixels.
const (
	chartWidth  = 960
	panelHeight = 180
	margin      = 12
)

// Chart colours: the samples, the fitted trend, the last half's
// background, a failing series' frame, and the bands while a second
// instance shared the group.
var (
	colSeries = color.RGBA{0x1f, 0x5f, 0xbf, 0xff}
	colFit    = color.RGBA{0xd0, 0x20, 0x20, 0xff}
	colHalf   = color.RGBA{0xff, 0xf6, 0xd8, 0xff}
	colPaired = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	colFrame  = color.RGBA{0x80, 0x80, 0x80, 0xff}
	colFails  = color.RGBA{0xd0, 0x20, 0x20, 0xff}
)

// WritePNG draws one panel per series, top to bottom in the order of
// Sample.Values (RSS, heap, goroutines, file descriptors), each scaled
// from zero to its own maximum: the samples in blue, the last half on a
// pale yellow ground with its fitted trend in red (trends[i], as
// LastHalfTrend returned it), a grey band along the top while a second
// instance shared the group, and a red frame around a series that grows.
// It has no text: the CSV holds the numbers.
func WritePNG(path string, samples []Sample, trends [NumSeries]Trend) error {
	if len(samples) < 2 {
		return fmt.Errorf("chart %s: %d samples, need 2", path, len(samples))
	}
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, NumSeries*panelHeight))
	fill(img, img.Bounds(), color.White)
	span := samples[len(samples)-1].Elapsed.Seconds()
	for i := range NumSeries {
		top := i * panelHeight
		area := image.Rect(margin, top+margin, chartWidth-margin, top+panelHeight-margin)
		x := func(s Sample) int {
			return area.Min.X + int(math.Round(s.Elapsed.Seconds()/span*float64(area.Dx()-1)))
		}
		high := 0.0
		for _, s := range samples {
			high = max(high, s.Values[i])
		}
		if high <= 0 {
			high = 1
		}
		y := func(v float64) int {
			return area.Max.Y - 1 - int(math.Round(v/high*float64(area.Dy()-1)))
		}
		tr := trends[i]
		if tr.From < len(samples) {
			fill(img, image.Rect(x(samples[tr.From]), area.Min.Y, area.Max.X, area.Max.Y), colHalf)
		}
		for j := 1; j < len(samples); j++ {
			if samples[j-1].Paired {
				fill(img, image.Rect(x(samples[j-1]), area.Min.Y, x(samples[j])+1, area.Min.Y+6), colPaired)
			}
		}
		for j := 1; j < len(samples); j++ {
			line(img, x(samples[j-1]), y(samples[j-1].Values[i]), x(samples[j]), y(samples[j].Values[i]), colSeries)
		}
		for j := 1; j < len(tr.Fitted); j++ {
			a, b := samples[tr.From+j-1], samples[tr.From+j]
			line(img, x(a), y(tr.Fitted[j-1]), x(b), y(tr.Fitted[j]), colFit)
		}
		frame := colFrame
		if tr.Grows() {
			frame = colFails
		}
		box(img, area.Inset(-1), frame)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		_ = f.Close() // the encoder's error is the one to report
		return fmt.Errorf("chart %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("chart %s: %w", path, err)
	}
	return nil
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
}

func box(img *image.RGBA, r image.Rectangle, c color.Color) {
	line(img, r.Min.X, r.Min.Y, r.Max.X-1, r.Min.Y, c)
	line(img, r.Min.X, r.Max.Y-1, r.Max.X-1, r.Max.Y-1, c)
	line(img, r.Min.X, r.Min.Y, r.Min.X, r.Max.Y-1, c)
	line(img, r.Max.X-1, r.Min.Y, r.Max.X-1, r.Max.Y-1, c)
}

// line draws from (x0,y0) to (x1,y1) with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int { return max(v, -v) }

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
