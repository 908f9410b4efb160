package cache

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/karlseguin/ccache/v3"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrStopped is returned, wrapped with the cache name, by every operation on a
// Cache after Stop. Test for it with errors.Is.
var ErrStopped = errors.New("cache: stopped")

// Cache is a named, size-bounded LRU cache with a TTL, safe for concurrent
// use. Build it with New, once per process per name, and stop it with the
// cleanup New returns.
type Cache[V any] struct {
	name  string
	ttl   time.Duration
	inner *ccache.Cache[V]

	// mu makes "stopped" and "ccache is running" one fact: operations hold
	// the read lock for as long as they touch inner, and Stop holds the write
	// lock while it flips stopped and stops inner, so no operation can reach
	// inner once its Stop has begun.
	mu      sync.RWMutex
	stopped bool

	// Looked up once in New so the hot path does no label hashing.
	hits, misses prometheus.Counter
	instances    prometheus.Gauge
	items        *itemsCollector
}

// New builds a cache called name, sized by cfg, recording into m.
//
// New starts ccache's background worker goroutine; it runs until the returned
// cleanup (which is c.Stop) is called. The caller must call the cleanup
// exactly once when the cache is no longer used — a Wire provider returns it
// and Wire does this at shutdown. Calling New per message instead of once per
// process is the F2 leak; kafka_consumer_cache_instances makes it visible.
//
// name, cfg and m are programming inputs fixed at start: New panics if name
// is empty, m is nil, or cfg fails Validate, because a cache built from a zero
// Config would silently evict or expire everything it stores.
func New[V any](name string, cfg Config, m *Metrics) (*Cache[V], func()) {
	if name == "" {
		panic("cache.New: empty name")
	}
	if m == nil {
		panic(fmt.Sprintf("cache.New(%q): nil *Metrics", name))
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		panic(fmt.Sprintf("cache.New(%q): invalid config: %v", name, errors.Join(errs...)))
	}
	c := &Cache[V]{
		name: name,
		ttl:  cfg.TTL,
		inner: ccache.New(ccache.Configure[V]().
			MaxSize(cfg.MaxItems).
			PercentToPrune(cfg.percentToPrune())),
		hits:      m.requests.WithLabelValues(name, "hit"),
		misses:    m.requests.WithLabelValues(name, "miss"),
		instances: m.instances.WithLabelValues(name),
		items:     m.items,
	}
	c.instances.Inc()
	c.items.add(name, c)
	return c, c.Stop
}

// Name returns the name the cache was built with; it is the cache label of
// its metrics.
func (c *Cache[V]) Name() string {
	return c.name
}

// Get returns the value stored under key and true if it is present and not
// expired; otherwise the zero value and false. Every call on a running cache
// counts as one hit or one miss. After Stop it returns an error wrapping
// ErrStopped.
func (c *Cache[V]) Get(key string) (V, bool, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.stopped {
		var zero V
		return zero, false, c.errStopped()
	}
	return c.lookup(key)
}

// lookup requires c.mu read-held and the cache running.
func (c *Cache[V]) lookup(key string) (V, bool, error) {
	// ccache returns expired items until its worker evicts them; they are
	// misses here so a caller never sees a value older than the TTL.
	if item := c.inner.Get(key); item != nil && !item.Expired() {
		c.hits.Inc()
		return item.Value(), true, nil
	}
	c.misses.Inc()
	var zero V
	return zero, false, nil
}

// Set stores v under key for the configured TTL, replacing any previous
// value. After Stop it stores nothing and returns an error wrapping
// ErrStopped.
func (c *Cache[V]) Set(key string, v V) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.stopped {
		return c.errStopped()
	}
	c.inner.Set(key, v, c.ttl)
	return nil
}

// Fetch returns the fresh value under key (a hit) or, on a miss, calls load,
// stores its result for the configured TTL and returns it. Each call counts
// as exactly one hit or one miss.
//
// If load fails, Fetch stores nothing and returns the error wrapped with the
// cache name and key, so the next Fetch tries again. load runs without any
// cache lock held, so a slow load never delays Stop; concurrent misses on the
// same key may each call load (no deduplication), so load must be safe to
// repeat. If the cache is stopped before or while load runs, Fetch returns an
// error wrapping ErrStopped.
func (c *Cache[V]) Fetch(key string, load func() (V, error)) (V, error) {
	var zero V
	v, ok, err := c.Get(key)
	if err != nil || ok {
		return v, err
	}
	v, err = load()
	if err != nil {
		return zero, fmt.Errorf("cache %s: load %q: %w", c.name, key, err)
	}
	if err := c.Set(key, v); err != nil {
		return zero, err
	}
	return v, nil
}

// ItemCount returns the number of entries held, expired ones included until
// ccache evicts them. It is safe at any time, including after Stop, because
// it reads ccache's buckets without involving its worker goroutine.
func (c *Cache[V]) ItemCount() int {
	return c.inner.ItemCount()
}

// Stop stops ccache's worker goroutine and releases the cache's metrics
// series count. It is idempotent and safe to call from many goroutines: the
// first call does the work, and every call returns only once the cache is
// stopped. Operations in flight when Stop is called finish normally; later
// ones return ErrStopped.
func (c *Cache[V]) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	c.inner.Stop()
	c.instances.Dec()
	c.items.remove(c.name, c)
}

func (c *Cache[V]) errStopped() error {
	return fmt.Errorf("cache %s: %w", c.name, ErrStopped)
}
