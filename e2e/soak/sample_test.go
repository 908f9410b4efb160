package soak

import (
	"context"
	"fmt"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// metricsServer serves body as a Prometheus text exposition.
func metricsServer(t *testing.T, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestProbeReadsProcAndMetrics: RSS and descriptors come from this
// process's /proc entries, heap and goroutines from the served gauges.
func TestProbeReadsProcAndMetrics(t *testing.T) {
	srv := metricsServer(t, "# TYPE go_goroutines gauge\ngo_goroutines 42\n# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes 1.5e+06\n# TYPE other counter\nother 3\n")
	v, err := Probe{PID: os.Getpid(), MetricsURL: srv.URL, Client: srv.Client()}.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v[Goroutines] != 42 || v[Heap] != 1.5e6 || v[RSS] < 1<<20 || v[FDs] < 3 {
		t.Fatalf("sample %v: want 42 goroutines, 1.5e6 heap, RSS of at least 1 MiB, at least 3 descriptors", v)
	}
}

// TestProbeFailsWithoutEverySeries: a missing gauge, an unreadable page or
// a process that is gone fail the sample instead of leaving a hole.
func TestProbeFailsWithoutEverySeries(t *testing.T) {
	missing := metricsServer(t, "# TYPE go_goroutines gauge\ngo_goroutines 42\n")
	garbage := metricsServer(t, "go_goroutines{ 42\n")
	for name, p := range map[string]Probe{
		"no heap gauge":       {PID: os.Getpid(), MetricsURL: missing.URL, Client: missing.Client()},
		"not the text format": {PID: os.Getpid(), MetricsURL: garbage.URL, Client: garbage.Client()},
		"no such process":     {PID: 1 << 30, MetricsURL: missing.URL, Client: missing.Client()},
	} {
		if _, err := p.Take(context.Background()); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// TestCSVAndChartAreWritten: the CSV has a header and a row per sample;
// the chart is a PNG of one panel per series, framed in red when the
// series grows (here the heap, rising 20% a minute), else in grey.
func TestCSVAndChartAreWritten(t *testing.T) {
	samples := series(5, 0.01, func(t float64, _ bool) float64 { return 1e6 * (1 + 0.2*t/60) }, everyMinute)
	var trends [NumSeries]Trend
	for i := range NumSeries {
		for j := range samples {
			if i != Heap {
				samples[j].Values[i] = 1e6
			}
		}
		tr, err := LastHalfTrend(samples, i)
		if err != nil {
			t.Fatal(err)
		}
		trends[i] = tr
	}
	dir := t.TempDir()
	if err := WriteCSV(dir+"/s.csv", samples); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(dir + "/s.csv")
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != "elapsed_s,second_instance,rss_bytes,heap_inuse_bytes,goroutines,open_fds" || len(lines) != len(samples)+1 {
		t.Fatalf("CSV header %q and %d lines for %d samples", lines[0], len(lines), len(samples))
	}
	if err := WritePNG(dir+"/s.png", samples, trends); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dir + "/s.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != chartWidth || b.Dy() != NumSeries*panelHeight {
		t.Fatalf("chart of %v, want %dx%d", b, chartWidth, NumSeries*panelHeight)
	}
	for i := range NumSeries {
		want := colFrame
		if i == Heap {
			want = colFails
		}
		if got := color.RGBAModel.Convert(img.At(margin-1, i*panelHeight+margin+panelHeight/2)); got != want {
			t.Errorf("panel %d (%s): frame %v, want %v", i, SeriesName(i), got, want)
		}
	}
}
