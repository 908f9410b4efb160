package leaktest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/message"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder captures what AssertNoLeak reports.
type recorder struct {
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func msgs(n int) []*message.Message {
	out := make([]*message.Message, n)
	for i := range out {
		out[i] = &message.Message{Topic: "orders", Offset: int64(i), Key: []byte(fmt.Sprintf("c-%d", i%10))}
	}
	return out
}

// TestAssertNoLeakCatchesACachePerMessage is F2 in a unit test: a handler
// that builds a ccache per message and never stops it fails AssertNoLeak,
// which names ccache's worker; the fixed handler, sharing one cache built
// once, passes.
func TestAssertNoLeakCatchesACachePerMessage(t *testing.T) {
	m, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var leaked []func()
	defer func() {
		for _, stop := range leaked { // end the leak so goleak stays green
			stop()
		}
	}()
	leaky := message.HandlerFunc(func(_ context.Context, msg *message.Message) error {
		c, stop := cache.New[string]("customers", cache.DefaultConfig(), m) // the F2 bug: per message
		leaked = append(leaked, stop)
		return c.Set(string(msg.Key), "x")
	})
	r := &recorder{}
	AssertNoLeak(r, leaky, msgs(20))
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "leaked 20 goroutines") || !strings.Contains(r.errs[0], "ccache") {
		t.Fatalf("the leaky handler must fail, naming ccache's worker: %v", r.errs)
	}

	shared, stop := cache.New[string]("customers-shared", cache.DefaultConfig(), m) // fixed: built once
	defer stop()
	fixed := message.HandlerFunc(func(_ context.Context, msg *message.Message) error {
		return shared.Set(string(msg.Key), "x")
	})
	AssertNoLeak(t, fixed, msgs(20))
}

// TestAssertNoLeakWaitsForGoroutinesThatAreFinishing: a goroutine a call
// started that ends shortly after the call returned (an asynchronous flush,
// say) is not a leak: AssertNoLeak gives it time to finish.
func TestAssertNoLeakWaitsForGoroutinesThatAreFinishing(t *testing.T) {
	var finishing sync.WaitGroup
	defer finishing.Wait()
	h := message.HandlerFunc(func(context.Context, *message.Message) error {
		finishing.Go(func() { time.Sleep(200 * time.Millisecond) })
		return nil
	})
	r := &recorder{}
	AssertNoLeak(r, h, msgs(3))
	if len(r.errs) != 0 {
		t.Fatalf("goroutines that end 200ms after their call were reported as leaked: %v", r.errs)
	}
}
