package handlertest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/karlseguin/ccache/v3"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestVerifyNoLeaksCatchesACachePerMessage is F2 in a unit test: a handler
// that builds a cache (with its worker goroutine) per message and never
// stops it fails, naming the cache's worker; the fixed handler, sharing
// one cache built once, passes.
func TestVerifyNoLeaksCatchesACachePerMessage(t *testing.T) {
	var mu sync.Mutex
	var leaked []*ccache.Cache[string]
	defer func() { // end the leak so goleak stays green
		for _, c := range leaked {
			c.Stop()
		}
	}()
	leaky := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		c := ccache.New(ccache.Configure[string]()) // the F2 bug: per message
		mu.Lock()
		leaked = append(leaked, c)
		mu.Unlock()
		c.Set(string(m.Key), "x", time.Minute)
		return nil
	})
	r := &recorder{}
	VerifyNoLeaks(r, registry.Handler("customers", leaky), values(slices.Repeat([]string{"x"}, 20)...)...)
	f := r.failures()
	if len(f) != 1 || !strings.Contains(f[0], "handler customers leaked 20 goroutines over 20 messages") || !strings.Contains(f[0], "ccache") {
		t.Fatalf("the leaky handler must fail, naming the cache's worker: %q", f)
	}

	shared := ccache.New(ccache.Configure[string]()) // fixed: built once
	defer shared.Stop()
	fixed := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		shared.Set(string(m.Key), "x", time.Minute)
		return nil
	})
	VerifyNoLeaks(t, registry.Handler("customers", fixed), values("a", "b", "c")...)
}

// TestVerifyNoLeaksWaitsForGoroutinesThatAreFinishing: a goroutine a call
// started that ends shortly after the call returned (an asynchronous
// flush, say) is not a leak.
func TestVerifyNoLeaksWaitsForGoroutinesThatAreFinishing(t *testing.T) {
	var finishing sync.WaitGroup
	defer finishing.Wait()
	h := message.HandlerFunc(func(context.Context, *message.Message) error {
		finishing.Go(func() { time.Sleep(200 * time.Millisecond) })
		return nil
	})
	r := &recorder{}
	VerifyNoLeaks(r, registry.Handler("flusher", h), values("a", "b", "c")...)
	if f := r.failures(); len(f) != 0 {
		t.Fatalf("goroutines that end 200ms after their call were reported as leaked: %q", f)
	}
}

// TestVerifyNoLeaksChecksBatchHandlersAndSurvivesPanics: a batch handler
// is called once with every message; a goroutine it leaves is found; a
// panic is recovered, not fatal to the check.
func TestVerifyNoLeaksChecksBatchHandlersAndSurvivesPanics(t *testing.T) {
	stop := make(chan struct{})
	var leaked sync.WaitGroup
	defer leaked.Wait()
	defer close(stop)
	var sizes []int
	h := message.BatchHandlerFunc(func(_ context.Context, msgs []*message.Message) error {
		sizes = append(sizes, len(msgs))
		leaked.Go(func() { <-stop })
		panic("after starting a goroutine")
	})
	r := &recorder{}
	VerifyNoLeaks(r, registry.Batch("sink", h), values("a", "b", "c")...)
	if len(sizes) != 1 || sizes[0] != 3 {
		t.Fatalf("batch calls of %v messages, want one of 3", sizes)
	}
	if f := r.failures(); len(f) != 1 || !strings.Contains(f[0], "handler sink leaked 1 goroutines over 3 messages") {
		t.Fatalf("failures %q, want the batch handler's one leaked goroutine", f)
	}
}
