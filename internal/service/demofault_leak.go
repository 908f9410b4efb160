package service

import (
	"sync"

	"github.com/consumerkit/consumerkit/internal/cache"
)

// leakyCustomers is F2 around the cache: every lookup goes through a new
// customer cache, which starts ccache's worker goroutine, and nothing
// stops it while the service runs — the production service built a new
// cache per event. kafka_consumer_cache_instances counts the caches, and
// the goroutines carry the handler's profile labels, so the watchdog
// attributes them to it.
type leakyCustomers struct {
	shared *CustomerCache // used once the fault is undone
	caches *leakedCaches
}

// Fetch implements CustomerStore through a cache of its own.
func (l leakyCustomers) Fetch(id string, load func() (Customer, error)) (Customer, error) {
	c := l.caches.build()
	if c == nil {
		c = l.shared
	}
	return c.Fetch(id, load)
}

// leakedCaches builds the leaked caches and keeps their cleanups, so that
// stopping the fault stops every one of them: the demo leaks only while
// the service runs, and shutdown is clean.
type leakedCaches struct {
	cfg     cache.Config
	metrics *cache.Metrics

	mu      sync.Mutex
	stopped bool
	stops   []func()
}

func newLeakedCaches(cfg cache.Config, m *cache.Metrics) *leakedCaches {
	return &leakedCaches{cfg: cfg, metrics: m}
}

// build returns a new customer cache, or nil once stop has run.
func (l *leakedCaches) build() *CustomerCache {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return nil
	}
	c, stop := cache.New[Customer]("customers", l.cfg, l.metrics)
	l.stops = append(l.stops, stop)
	return c
}

// stop stops every cache built so far and any further build.
func (l *leakedCaches) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	for _, stop := range l.stops {
		stop()
	}
	l.stops = nil
}
