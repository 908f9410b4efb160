package cache_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/cache"
)

// hangGuard is not a timing assertion: it only turns a deadlock (the hazard
// this package removes) into a failure instead of a test-binary timeout.
const hangGuard = 10 * time.Second

func newMetrics(t *testing.T) (*cache.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := cache.NewMetrics(reg)
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	return m, reg
}

// value returns the sample of metric name whose labels include want, failing
// the test if there is none.
func value(t *testing.T, reg prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			got := make(map[string]string, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if !includes(got, want) {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no sample %s%v", name, want)
	return 0
}

func includes(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func requests(t *testing.T, reg prometheus.Gatherer, name, result string) float64 {
	t.Helper()
	return value(t, reg, "kafka_consumer_cache_requests_total", map[string]string{"cache": name, "result": result})
}

func TestFetchLoadsOnceThenHits(t *testing.T) {
	m, reg := newMetrics(t)
	c, cleanup := cache.New[string]("customers", cache.DefaultConfig(), m)
	defer cleanup()

	loads := 0
	load := func() (string, error) {
		loads++
		return "Ada", nil
	}
	for i := range 2 {
		v, err := c.Fetch("c-1", load)
		if err != nil || v != "Ada" {
			t.Fatalf("Fetch #%d = %q, %v; want %q, nil", i+1, v, err, "Ada")
		}
	}
	if loads != 1 {
		t.Errorf("load called %d times, want 1", loads)
	}
	if got := requests(t, reg, "customers", "miss"); got != 1 {
		t.Errorf("misses = %v, want 1", got)
	}
	if got := requests(t, reg, "customers", "hit"); got != 1 {
		t.Errorf("hits = %v, want 1", got)
	}
}

func TestFetchErrorIsNotCached(t *testing.T) {
	m, _ := newMetrics(t)
	c, cleanup := cache.New[int]("prices", cache.DefaultConfig(), m)
	defer cleanup()

	errDown := errors.New("downstream unavailable")
	_, err := c.Fetch("sku-9", func() (int, error) { return 0, errDown })
	if !errors.Is(err, errDown) {
		t.Fatalf("Fetch error = %v, want it to wrap %v", err, errDown)
	}
	for _, part := range []string{"prices", `"sku-9"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("Fetch error %q does not name %s", err, part)
		}
	}
	if _, ok, _ := c.Get("sku-9"); ok {
		t.Fatal("a failed load was stored")
	}

	v, err := c.Fetch("sku-9", func() (int, error) { return 42, nil })
	if err != nil || v != 42 {
		t.Fatalf("Fetch after failure = %v, %v; want 42, nil (the failure must not stick)", v, err)
	}
}

func TestGetReportsMissForAbsentAndExpiredValues(t *testing.T) {
	m, reg := newMetrics(t)
	cfg := cache.DefaultConfig()
	cfg.TTL = time.Nanosecond
	c, cleanup := cache.New[string]("short", cfg, m)
	defer cleanup()

	if _, ok, err := c.Get("absent"); ok || err != nil {
		t.Fatalf("Get(absent) = ok %v, err %v; want a miss", ok, err)
	}
	if err := c.Set("k", "v"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	time.Sleep(time.Millisecond) // lets the 1ns TTL pass; not a timing assertion
	if v, ok, err := c.Get("k"); ok || err != nil {
		t.Fatalf("Get(expired) = %q, ok %v, err %v; want a miss", v, ok, err)
	}
	if got := requests(t, reg, "short", "miss"); got != 2 {
		t.Errorf("misses = %v, want 2", got)
	}
}

// TestEvictionPrunesItemsToPruneRoundedUpToAWholePercent: storing one entry
// more than max_items starts an eviction pass that leaves max_items minus
// items_to_prune rounded up to the next whole percent of max_items (the
// only unit ccache accepts), so a pass never removes fewer than
// items_to_prune entries.
func TestEvictionPrunesItemsToPruneRoundedUpToAWholePercent(t *testing.T) {
	tests := []struct {
		maxItems int64
		prune    uint32
		left     int
	}{
		{200, 30, 170}, // 15%, exact
		{200, 3, 196},  // 1.5% rounds up to 2%: 4 entries go
		{1000, 1, 990}, // 0.1% rounds up to 1%
		{10, 10, 0},    // 100%
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d", tt.prune, tt.maxItems), func(t *testing.T) {
			m, _ := newMetrics(t)
			c, cleanup := cache.New[int]("bounded", cache.Config{MaxItems: tt.maxItems, ItemsToPrune: tt.prune, TTL: time.Minute}, m)
			for i := range tt.maxItems + 1 {
				if err := c.Set(strconv.FormatInt(i, 10), int(i)); err != nil {
					t.Fatalf("Set: %v", err)
				}
			}
			// Stop lets ccache's worker apply every Set made before it, the
			// eviction pass included, so the count below is final.
			cleanup()
			if got := c.ItemCount(); got != tt.left {
				t.Fatalf("%d entries left after storing %d, want %d", got, tt.maxItems+1, tt.left)
			}
		})
	}
}
