package logging

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestValidateListsEveryProblem(t *testing.T) {
	errs := Config{Level: "loud", Format: "xml"}.Validate()
	if len(errs) != 2 {
		t.Fatalf("want 2 problems, got %v", errs)
	}
	if !strings.Contains(errs[0].Error(), "log.level") || !strings.Contains(errs[1].Error(), "log.format") {
		t.Fatalf("problems must name the setting: %v", errs)
	}
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatalf("default config invalid: %v", errs)
	}
}

func TestNewHonoursLevel(t *testing.T) {
	for _, format := range []string{"json", "console"} {
		cfg := Config{Level: "warn", Format: format}
		level, err := NewLevel(cfg)
		if err != nil {
			t.Fatal(err)
		}
		logger, cleanup, err := New(cfg, level, prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		if logger.Core().Enabled(-1) || !logger.Core().Enabled(1) {
			t.Fatalf("%s: warn level must drop info and keep warn", format)
		}
		level.SetLevel(-1)
		if !logger.Core().Enabled(-1) {
			t.Fatalf("%s: AtomicLevel change not honoured", format)
		}
		cleanup()
	}
}

// TestSamplingCountsWhatItDrops: a burst of one message is sampled, and
// every dropped entry is counted.
func TestSamplingCountsWhatItDrops(t *testing.T) {
	cfg := Config{Level: "info", Format: "json"}
	level, _ := NewLevel(cfg)
	reg := prometheus.NewRegistry()
	logger, cleanup, err := New(cfg, level, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	for range 1000 {
		logger.Debug("below the level: neither written nor counted")
		logger.Warn("the same line, again and again")
	}
	if got := testutil.ToFloat64(mustCounter(t, reg)); got < 780 || got > 900 { // a burst split by a sampler tick drops a little less
		t.Fatalf("dropped %v of 1000 identical warnings; want the 900 beyond the first 100 minus 1 in 100 kept", got)
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "kafka_consumer_log_dropped_total" {
		t.Fatalf("gathered %v, %v", mfs, err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	c.Add(mfs[0].GetMetric()[0].GetCounter().GetValue())
	return c
}
