package cache_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
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

func TestGetAfterStopReturnsErrStopped(t *testing.T) {
	tests := []struct {
		name string
		op   func(c *cache.Cache[string]) error
	}{
		{"Get", func(c *cache.Cache[string]) error {
			_, _, err := c.Get("k")
			return err
		}},
		{"Set", func(c *cache.Cache[string]) error {
			return c.Set("k", "v")
		}},
		{"Fetch", func(c *cache.Cache[string]) error {
			_, err := c.Fetch("k", func() (string, error) {
				t.Error("Fetch called load on a stopped cache")
				return "", nil
			})
			return err
		}},
		// ccache blocks a Set once its promote queue (1024) fills with no
		// worker to drain it; far more Sets than that prove we never get there.
		{"many Sets", func(c *cache.Cache[string]) error {
			var err error
			for range 5000 {
				err = c.Set("k", "v")
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newMetrics(t)
			c, cleanup := cache.New[string]("orders", cache.DefaultConfig(), m)
			if err := c.Set("k", "before"); err != nil {
				t.Fatalf("Set before Stop: %v", err)
			}
			cleanup()

			done := make(chan error, 1)
			go func() { done <- tt.op(c) }()
			select {
			case err := <-done:
				if !errors.Is(err, cache.ErrStopped) {
					t.Fatalf("%s after Stop = %v, want ErrStopped", tt.name, err)
				}
				if !strings.Contains(err.Error(), "cache orders:") {
					t.Errorf("error %q does not name the cache", err)
				}
			case <-time.After(hangGuard):
				t.Fatalf("%s after Stop blocked", tt.name)
			}
		})
	}
}

func TestStopIsIdempotentAndConcurrent(t *testing.T) {
	m, reg := newMetrics(t)
	c, cleanup := cache.New[string]("shared", cache.DefaultConfig(), m)

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(c.Stop)
	}
	wg.Go(cleanup)
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatal("concurrent Stop calls blocked")
	}
	c.Stop() // and once more after everything settled

	if got := value(t, reg, "kafka_consumer_cache_instances", map[string]string{"cache": "shared"}); got != 0 {
		t.Errorf("instances = %v after Stop, want 0", got)
	}
}

func TestOperationsRacingStopEndWithErrStopped(t *testing.T) {
	m, _ := newMetrics(t)
	c, cleanup := cache.New[int]("racing", cache.DefaultConfig(), m)

	var wg sync.WaitGroup
	started := make(chan struct{})
	var once sync.Once
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := string(rune('a' + (w+i)%26))
				var err error
				switch i % 3 {
				case 0:
					err = c.Set(key, i)
				case 1:
					_, _, err = c.Get(key)
				default:
					_, err = c.Fetch(key, func() (int, error) { return i, nil })
				}
				once.Do(func() { close(started) })
				if err != nil {
					if !errors.Is(err, cache.ErrStopped) {
						t.Errorf("unexpected error: %v", err)
					}
					return
				}
			}
		})
	}
	<-started
	cleanup()

	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatal("operations racing Stop blocked")
	}
}

func TestNewPanicsOnMisuse(t *testing.T) {
	m, _ := newMetrics(t)
	tests := []struct {
		name      string
		cacheName string
		cfg       cache.Config
		metrics   *cache.Metrics
	}{
		{"empty name", "", cache.DefaultConfig(), m},
		{"nil metrics", "c", cache.DefaultConfig(), nil},
		{"zero config", "c", cache.Config{}, m},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			_, cleanup := cache.New[string](tt.cacheName, tt.cfg, tt.metrics)
			cleanup() // only reached on failure; keeps goleak quiet
		})
	}
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		cfg  cache.Config
		want []string
	}{
		{"default is valid", cache.DefaultConfig(), nil},
		{"zero value lists all three", cache.Config{}, []string{
			"cache.max_items must be > 0, got 0",
			"cache.items_to_prune must be > 0, got 0",
			"cache.ttl must be > 0, got 0s",
		}},
		{"negative max_items and ttl", cache.Config{MaxItems: -1, ItemsToPrune: 1, TTL: -time.Second}, []string{
			"cache.max_items must be > 0, got -1",
			"cache.ttl must be > 0, got -1s",
		}},
		{"prune more than max", cache.Config{MaxItems: 10, ItemsToPrune: 11, TTL: time.Second}, []string{
			"cache.items_to_prune must be <= cache.max_items (10), got 11",
		}},
		{"prune equal to max is valid", cache.Config{MaxItems: 10, ItemsToPrune: 10, TTL: time.Second}, nil},
		{"prune is not compared with an invalid max", cache.Config{MaxItems: 0, ItemsToPrune: 1, TTL: time.Second}, []string{
			"cache.max_items must be > 0, got 0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.cfg.Validate()
			var got []string
			for _, err := range errs {
				got = append(got, err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Validate() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
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
