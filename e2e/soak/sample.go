package soak

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The series a Sample holds, in the order of Sample.Values, the CSV's
// columns and the chart's panels (top to bottom).
const (
	RSS        = iota // resident set size, bytes (/proc/<pid>/status VmRSS)
	Heap              // go_memstats_heap_inuse_bytes
	Goroutines        // go_goroutines
	FDs               // open file descriptors (entries of /proc/<pid>/fd)
	NumSeries
)

// seriesNames are the series' names, as the CSV's header and the reports
// spell them.
var seriesNames = [NumSeries]string{"rss_bytes", "heap_inuse_bytes", "goroutines", "open_fds"}

// SeriesName returns the name of series i (RSS, Heap, …).
func SeriesName(i int) string { return seriesNames[i] }

// Sample is one measurement of the process.
type Sample struct {
	// Elapsed is when it was taken, from the start of the run.
	Elapsed time.Duration
	// Paired is true while a second instance shared the consumer group:
	// the process then owns fewer partitions, so its levels differ for a
	// reason that is no growth (see LastHalfTrend).
	Paired bool
	// Values holds each series' value, indexed by RSS, Heap, …
	Values [NumSeries]float64
}

// Probe measures one process: its /proc entries, and the Prometheus
// endpoint it serves.
type Probe struct {
	PID        int
	MetricsURL string
	Client     *http.Client
}

// Take measures the process once. Every series is read or Take fails:
// a sample with a hole would bias the trend.
func (p Probe) Take(ctx context.Context) ([NumSeries]float64, error) {
	var v [NumSeries]float64
	rss, err := residentBytes(p.PID)
	if err != nil {
		return v, err
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.PID))
	if err != nil {
		return v, fmt.Errorf("open file descriptors of %d: %w", p.PID, err)
	}
	gauges, err := p.gauges(ctx, "go_memstats_heap_inuse_bytes", "go_goroutines")
	if err != nil {
		return v, err
	}
	v[RSS], v[FDs] = rss, float64(len(fds))
	v[Heap], v[Goroutines] = gauges[0], gauges[1]
	return v, nil
}

// residentBytes reads VmRSS of /proc/<pid>/status, in bytes.
func residentBytes(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("status of %d: %w", pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("status of %d: VmRSS line %q", pid, sc.Text())
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, fmt.Errorf("status of %d: VmRSS %q: %w", pid, f[0], err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("status of %d has no VmRSS line", pid)
}

// gauges scrapes the endpoint and returns the value of each named
// single-sample gauge, in order, parsed by Prometheus's own text parser.
func (p Probe) gauges(ctx context.Context, names ...string) ([]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.MetricsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", p.MetricsURL, err)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", p.MetricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("scrape %s: %s: %s", p.MetricsURL, resp.Status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", p.MetricsURL, err)
	}
	out := make([]float64, len(names))
	for i, name := range names {
		f := families[name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetType() != dto.MetricType_GAUGE {
			return nil, fmt.Errorf("scrape %s: no single gauge %s", p.MetricsURL, name)
		}
		out[i] = f.GetMetric()[0].GetGauge().GetValue()
	}
	return out, nil
}
