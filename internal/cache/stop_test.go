package cache_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/internal/cache"
)

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
