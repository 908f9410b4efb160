package cache

import (
	"fmt"
	"time"
)

// Config sizes one cache. It is a section of the application configuration
// and is validated, with every other section, before anything starts.
type Config struct {
	// MaxItems bounds the number of entries; beyond it the least recently
	// used entries are evicted.
	MaxItems int64 `yaml:"max_items"`
	// ItemsToPrune is how many entries one eviction pass removes at least.
	// ccache v3.0.8 only accepts a percentage of MaxItems, so the value is
	// rounded up to the next whole percent of MaxItems.
	ItemsToPrune uint32 `yaml:"items_to_prune"`
	// TTL is how long a stored value counts as fresh. An expired value is a
	// miss for Get and Fetch.
	TTL time.Duration `yaml:"ttl"`
}

// DefaultConfig returns a Config that passes Validate and suits a lookup
// cache of moderate cardinality.
func DefaultConfig() Config {
	return Config{
		MaxItems:     10000,
		ItemsToPrune: 500,
		TTL:          5 * time.Minute,
	}
}

// Validate returns every problem with c, not just the first, so an operator
// fixes a bad configuration in one round trip. Each error names the field by
// its YAML path (cache.max_items, ...). A nil result means c is usable by New.
func (c Config) Validate() []error {
	var errs []error
	if c.MaxItems <= 0 {
		errs = append(errs, fmt.Errorf("cache.max_items must be > 0, got %d", c.MaxItems))
	}
	if c.ItemsToPrune == 0 {
		errs = append(errs, fmt.Errorf("cache.items_to_prune must be > 0, got 0"))
	} else if c.MaxItems > 0 && int64(c.ItemsToPrune) > c.MaxItems {
		// Only meaningful against a valid max_items; otherwise the max_items
		// error above already says what to fix.
		errs = append(errs, fmt.Errorf("cache.items_to_prune must be <= cache.max_items (%d), got %d", c.MaxItems, c.ItemsToPrune))
	}
	if c.TTL <= 0 {
		errs = append(errs, fmt.Errorf("cache.ttl must be > 0, got %s", c.TTL))
	}
	return errs
}

// percentToPrune converts ItemsToPrune into the percentage ccache v3.0.8
// accepts, rounding up so at least ItemsToPrune entries go per pass.
// It expects a Config that passed Validate.
func (c Config) percentToPrune() uint8 {
	p := (int64(c.ItemsToPrune)*100 + c.MaxItems - 1) / c.MaxItems
	return uint8(min(max(p, 1), 100))
}
