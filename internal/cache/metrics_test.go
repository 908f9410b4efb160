package cache_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/internal/cache"
)

func instances(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	return value(t, reg, "kafka_consumer_cache_instances", map[string]string{"cache": name})
}

func items(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	return value(t, reg, "kafka_consumer_cache_items", map[string]string{"cache": name})
}

func TestInstancesGaugeCountsLiveCaches(t *testing.T) {
	m, reg := newMetrics(t)
	_, cleanupA := cache.New[string]("customers", cache.DefaultConfig(), m)
	defer cleanupA()
	_, cleanupB := cache.New[int]("customers", cache.DefaultConfig(), m)
	defer cleanupB() // a second call after the explicit one below is a no-op

	if got := instances(t, reg, "customers"); got != 2 {
		t.Fatalf("instances = %v with two live caches, want 2", got)
	}
	cleanupB()
	if got := instances(t, reg, "customers"); got != 1 {
		t.Fatalf("instances = %v after stopping one, want 1", got)
	}
}

func TestItemsGaugeSumsLiveInstances(t *testing.T) {
	m, reg := newMetrics(t)
	a, cleanupA := cache.New[string]("customers", cache.DefaultConfig(), m)
	defer cleanupA()
	b, cleanupB := cache.New[string]("customers", cache.DefaultConfig(), m)
	defer cleanupB()
	other, cleanupOther := cache.New[string]("prices", cache.DefaultConfig(), m)
	defer cleanupOther()

	set := func(c *cache.Cache[string], keys ...string) {
		t.Helper()
		for _, k := range keys {
			if err := c.Set(k, "v"); err != nil {
				t.Fatalf("Set(%q): %v", k, err)
			}
		}
	}
	set(a, "1", "2")
	set(b, "1", "2", "3")
	set(other, "1")

	if got := items(t, reg, "customers"); got != 5 {
		t.Errorf("customers items = %v, want 5 (2 + 3)", got)
	}
	if got := items(t, reg, "prices"); got != 1 {
		t.Errorf("prices items = %v, want 1", got)
	}

	cleanupA()
	if got := items(t, reg, "customers"); got != 3 {
		t.Errorf("customers items = %v after stopping one instance, want 3", got)
	}
	cleanupB()
	if got := items(t, reg, "customers"); got != 0 {
		t.Errorf("customers items = %v with no live instance, want 0 (series kept)", got)
	}
}

// The metric names and labels are a contract with dashboards and alerts.
func TestMetricsExposeStableNames(t *testing.T) {
	m, reg := newMetrics(t)
	c, cleanup := cache.New[string]("customers", cache.DefaultConfig(), m)
	defer cleanup()
	if err := c.Set("k", "v"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if _, _, err := c.Get("k"); err != nil {
		t.Fatalf("Get: %v", err)
	}

	const want = `
# HELP kafka_consumer_cache_instances Live (built and not yet stopped) cache instances by cache name; growth means caches are built per message and leak.
# TYPE kafka_consumer_cache_instances gauge
kafka_consumer_cache_instances{cache="customers"} 1
# HELP kafka_consumer_cache_items Entries held by all live instances of a cache, sampled at scrape time.
# TYPE kafka_consumer_cache_items gauge
kafka_consumer_cache_items{cache="customers"} 1
# HELP kafka_consumer_cache_requests_total Cache lookups by cache name and result (hit or miss).
# TYPE kafka_consumer_cache_requests_total counter
kafka_consumer_cache_requests_total{cache="customers",result="hit"} 1
kafka_consumer_cache_requests_total{cache="customers",result="miss"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestNewMetricsRejectsDoubleRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := cache.NewMetrics(reg); err != nil {
		t.Fatalf("first NewMetrics: %v", err)
	}
	_, err := cache.NewMetrics(reg)
	if err == nil {
		t.Fatal("second NewMetrics on the same registry succeeded")
	}
	if !strings.Contains(err.Error(), "kafka_consumer_cache_requests_total") {
		t.Errorf("error %q does not say what failed to register", err)
	}
}

func TestNewMetricsLeavesNothingRegisteredOnFailure(t *testing.T) {
	reg := prometheus.NewRegistry()
	// Occupies the second name only, so the first registration succeeds
	// and must be rolled back.
	reg.MustRegister(prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kafka_consumer_cache_items", Help: "taken",
	}, []string{"cache"}))

	if _, err := cache.NewMetrics(reg); err == nil {
		t.Fatal("NewMetrics succeeded despite a conflicting collector")
	}
	if n, err := testutil.GatherAndCount(reg, "kafka_consumer_cache_requests_total"); err != nil || n != 0 {
		t.Errorf("requests counter still registered after failure: count %d, err %v", n, err)
	}
}
