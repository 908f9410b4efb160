package soak

import (
	"context"
	"fmt"
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
// the chart is a PNG of one panel per series.
func TestCSVAndChartAreWritten(t *testing.T) {
	samples := series(5, 0.05, func(t float64, _ bool) float64 { return 1e6 + t }, everyMinute)
	var trends [NumSeries]Trend
	for i := range NumSeries {
		for j := range samples {
			samples[j].Values[i] = samples[j].Values[Heap]
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
	png, _ := os.ReadFile(dir + "/s.png")
	if !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatal("the chart is not a PNG")
	}
}
