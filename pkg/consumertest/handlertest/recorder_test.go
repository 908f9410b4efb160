package handlertest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// recorder is a TB that records failures instead of ending the test, so a
// test can see the kit fail and read what it said.
type recorder struct {
	mu    sync.Mutex
	fails []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fails = append(r.fails, s)
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.fails...)
}

func (r *recorder) String() string { return strings.Join(r.failures(), "\n") }

// values makes one message per value, keyed "k".
func values(vs ...string) []message.Message {
	out := make([]message.Message, len(vs))
	for i, v := range vs {
		out[i] = message.Message{Key: []byte("k"), Value: []byte(v)}
	}
	return out
}

// fast is a subscription on topic "orders" whose retries take
// milliseconds, with a dead-letter topic.
func fast(attempts int) registry.Subscription {
	return registry.Subscription{Topic: "orders", Ordering: registry.OrderingPartition,
		Retry:      registry.RetryPolicy{MaxAttempts: attempts, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond},
		DeadLetter: registry.DeadLetterConfig{Enabled: true}}
}
