package cache

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the cache metrics of one process. Build it once (a Wire
// provider) and pass it to every New; all caches share it and are told apart
// by their name label.
type Metrics struct {
	requests  *prometheus.CounterVec
	instances *prometheus.GaugeVec
	items     *itemsCollector
}

// NewMetrics registers the cache metrics on reg and returns them. It never
// touches the global Prometheus registry. Registering twice on the same
// registry is an error (Prometheus rejects duplicate metric names); on any
// error nothing stays registered, so the caller can report it and exit
// without a half-populated registry.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_consumer_cache_requests_total",
			Help: "Cache lookups by cache name and result (hit or miss).",
		}, []string{"cache", "result"}),
		instances: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kafka_consumer_cache_instances",
			Help: "Live (built and not yet stopped) cache instances by cache name; growth means caches are built per message and leak.",
		}, []string{"cache"}),
		items: newItemsCollector(),
	}
	collectors := []struct {
		name string
		c    prometheus.Collector
	}{
		{"kafka_consumer_cache_requests_total", m.requests},
		{"kafka_consumer_cache_items", m.items},
		{"kafka_consumer_cache_instances", m.instances},
	}
	for i, c := range collectors {
		if err := reg.Register(c.c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done.c)
			}
			return nil, fmt.Errorf("cache metrics: register %s: %w", c.name, err)
		}
	}
	return m, nil
}

// itemCounter is what the items collector needs from a live cache; it lets
// caches of different value types share one collector.
type itemCounter interface {
	ItemCount() int
}

// itemsCollector reports kafka_consumer_cache_items at scrape time, so the
// Get/Set hot path pays nothing for it. Its mutex is taken only when a cache
// is built or stopped and during a scrape, never on Get or Set.
type itemsCollector struct {
	desc *prometheus.Desc

	mu sync.Mutex
	// live maps a cache name to its live instances. A name is kept after its
	// last instance stops so the series reads 0 instead of vanishing.
	live map[string]map[itemCounter]struct{}
}

func newItemsCollector() *itemsCollector {
	return &itemsCollector{
		desc: prometheus.NewDesc(
			"kafka_consumer_cache_items",
			"Entries held by all live instances of a cache, sampled at scrape time.",
			[]string{"cache"}, nil,
		),
		live: make(map[string]map[itemCounter]struct{}),
	}
}

func (ic *itemsCollector) add(name string, c itemCounter) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	set, ok := ic.live[name]
	if !ok {
		set = make(map[itemCounter]struct{})
		ic.live[name] = set
	}
	set[c] = struct{}{}
}

func (ic *itemsCollector) remove(name string, c itemCounter) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	delete(ic.live[name], c)
}

// Describe implements prometheus.Collector.
func (ic *itemsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- ic.desc
}

// Collect implements prometheus.Collector.
func (ic *itemsCollector) Collect(ch chan<- prometheus.Metric) {
	totals := ic.sum()
	for name, total := range totals {
		ch <- prometheus.MustNewConstMetric(ic.desc, prometheus.GaugeValue, float64(total), name)
	}
}

// sum counts under the lock but lets Collect send after releasing it, so a
// slow scrape consumer never holds up New or Stop.
func (ic *itemsCollector) sum() map[string]int {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	totals := make(map[string]int, len(ic.live))
	for name, set := range ic.live {
		total := 0
		for c := range set {
			total += c.ItemCount()
		}
		totals[name] = total
	}
	return totals
}
