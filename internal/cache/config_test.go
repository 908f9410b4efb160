package cache_test

import (
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/internal/cache"
)

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
