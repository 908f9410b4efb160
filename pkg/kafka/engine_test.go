//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

func outcomes(e *engineUnderTest, topic, handler string, o delivery.Outcome) int {
	return int(testutil.ToFloat64(e.metrics.messages.WithLabelValues(topic, handler, string(o))))
}

func allCommitted(t *testing.T, b *testBroker, group, topic string, partitions int) func() bool {
	return func() bool {
		committed, end := b.committedAndEnd(group, topic, partitions)
		for p := range partitions {
			if committed[p] != end[p] {
				return false
			}
		}
		return true
	}
}

// TestGoroutinesDoNotGrowWithMessages: goroutines are O(partitions), never
// O(messages). The engine's own goroutines (see labelEngineUnderTest: not
// the embedded broker's, nor the test producer's) once the first 1,000
// messages are done are the baseline; after 5,000 and 10,000 they must
// not have grown beyond a reconnecting reader's.
func TestGoroutinesDoNotGrowWithMessages(t *testing.T) {
	const total, partitions = 10_000, 4
	b := newTestBroker(t)
	topic := b.createTopic("goroutines", partitions)
	var handled atomic.Int64
	var samples []int
	var mu sync.Mutex
	var engine atomic.Pointer[engineUnderTest]
	handlers := registry.Empty().Add("count", message.HandlerFunc(func(context.Context, *message.Message) error {
		if n := handled.Add(1); n == 1000 || n == 5000 || n == total {
			mu.Lock()
			samples = append(samples, engine.Load().goroutines())
			mu.Unlock()
		}
		return nil
	}))
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "count", Ordering: registry.OrderingPartition}})
	engine.Store(b.startEngine(cfg, handlers))
	b.produce(topic, 0, total, func(i int) string { return strconv.Itoa(i) })
	consumertest.Eventually(t, "every message handled", func() bool { return handled.Load() >= total })
	engine.Load().stop(t)
	mu.Lock()
	defer mu.Unlock()
	if len(samples) != 3 {
		t.Fatalf("samples %v", samples)
	}
	// A reconnecting reader may add a connection's goroutines; a
	// per-message goroutine would add thousands.
	const slack = 4
	if samples[2] > samples[0]+slack || samples[1] > samples[0]+slack {
		t.Fatalf("the engine's goroutines grew with messages: %v at 1k/5k/10k messages", samples)
	}
	t.Logf("the engine's goroutines at 1k/5k/10k messages: %v", samples)
}

// TestBatchesFlushOnSizeAndOnLinger: a full batch flushes at once; the
// partial tail flushes when the linger deadline passes, never waiting for
// more messages.
func TestBatchesFlushOnSizeAndOnLinger(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("batches", 1)
	var mu sync.Mutex
	var sizes []int
	handled := 0
	batchHandler := batchFunc(func(_ context.Context, msgs []*message.Message) error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(msgs))
		handled += len(msgs)
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "batch", Ordering: registry.OrderingPartition,
		Batch: registry.BatchConfig{Size: 100, Linger: 300 * 1e6}}})
	e := b.startEngine(cfg, registry.Empty().AddBatch("batch", batchHandler))
	b.produce(topic, 0, 1050, strconv.Itoa)
	consumertest.Eventually(t, "all 1050 messages", func() bool { mu.Lock(); defer mu.Unlock(); return handled == 1050 })
	consumertest.Eventually(t, "commit", allCommitted(t, b, cfg.GroupID, topic, 1))
	flushes := func(reason string) float64 {
		return testutil.ToFloat64(e.metrics.batchFlushes.WithLabelValues("batch", reason))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range sizes {
		if s > 100 {
			t.Fatalf("batch of %d exceeds size 100: %v", s, sizes)
		}
	}
	if flushes("size") < 1 || flushes("linger") < 1 {
		t.Fatalf("want size and linger flushes, got size=%v linger=%v (sizes %v)", flushes("size"), flushes("linger"), sizes)
	}
	if got := int(flushes("size") + flushes("linger")); got != len(sizes) {
		t.Fatalf("%d flushes counted for %d batches", got, len(sizes))
	}
}

type batchFunc func(context.Context, []*message.Message) error

func (f batchFunc) HandleBatch(ctx context.Context, msgs []*message.Message) error {
	return f(ctx, msgs)
}

// TestEveryMessageGetsOneOutcome: permanent errors and panics are counted
// as failed and committed past; transient errors are retried in place until
// they succeed; the counts add up and the partition never stalls.
func TestEveryMessageGetsOneOutcome(t *testing.T) {
	const total, partitions = 1000, 2
	b := newTestBroker(t)
	topic := b.createTopic("outcomes", partitions)
	var mu sync.Mutex
	attempts := map[int]int{}
	handlers := registry.Empty().Add("mixed", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		id, _ := strconv.Atoi(string(m.Value))
		mu.Lock()
		attempts[id]++
		n := attempts[id]
		mu.Unlock()
		switch {
		case id%50 == 0:
			return message.Permanent(fmt.Errorf("poison %d", id))
		case id%97 == 0:
			panic(fmt.Sprintf("handler bug on %d", id))
		case id%10 == 0 && n < 3:
			return errors.New("downstream busy")
		}
		return nil
	}))
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "mixed", Ordering: registry.OrderingPartition}})
	e := b.startEngine(cfg, handlers)
	b.produce(topic, 0, total, strconv.Itoa)
	var poison, panics, transient int
	for id := range total {
		switch {
		case id%50 == 0:
			poison++
		case id%97 == 0:
			panics++
		case id%10 == 0:
			transient++
		}
	}
	consumertest.Eventually(t, "every outcome", func() bool {
		sum := 0
		for _, o := range []delivery.Outcome{delivery.OutcomeSuccess, delivery.OutcomeRetried, delivery.OutcomeFailed} {
			sum += outcomes(e, topic, "mixed", o)
		}
		return sum == total
	})
	consumertest.Eventually(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, partitions))
	if got := outcomes(e, topic, "mixed", delivery.OutcomeFailed); got != poison+panics {
		t.Errorf("failed = %d, want %d poison + %d panics", got, poison, panics)
	}
	if got := outcomes(e, topic, "mixed", delivery.OutcomeRetried); got != transient {
		t.Errorf("retried = %d, want %d", got, transient)
	}
	if got := outcomes(e, topic, "mixed", delivery.OutcomeSuccess); got != total-poison-panics-transient {
		t.Errorf("success = %d", got)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range attempts {
		if id%50 == 0 && n != 1 {
			t.Errorf("permanent failure %d attempted %d times; permanent errors must not be retried", id, n)
		}
	}
}

// TestStopCommitsWhatWasProcessed: after Stop returns, the group's
// committed offsets cover every message the handler finished.
func TestStopCommitsWhatWasProcessed(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("final-commit", 1)
	var handled atomic.Int64
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error {
		handled.Add(1)
		return nil
	}))
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
	cfg.CommitInterval = 1e12 // only the final commit can move the offset
	e := b.startEngine(cfg, handlers)
	b.produce(topic, 0, 300, strconv.Itoa)
	consumertest.Eventually(t, "300 handled", func() bool { return handled.Load() == 300 })
	e.stop(t)
	committed, end := b.committedAndEnd(cfg.GroupID, topic, 1)
	if committed[0] != end[0] || end[0] != 300 {
		t.Fatalf("after stop: committed %d, end %d", committed[0], end[0])
	}
	if got := testutil.ToFloat64(e.metrics.commits.WithLabelValues("success")); got != 1 {
		t.Fatalf("commits = %v, want exactly the final one", got)
	}
}

func TestNewEngineRejectsMissingOrMismatchedHandlers(t *testing.T) {
	cfg := testConfig([]registry.Subscription{
		{Topic: "a", Handler: "missing", Ordering: registry.OrderingPartition},
		{Topic: "b", Handler: "single", Ordering: registry.OrderingPartition, Batch: registry.BatchConfig{Size: 10, Linger: 1e9}},
	})
	handlers := registry.Empty().Add("single", message.HandlerFunc(func(context.Context, *message.Message) error { return nil }))
	m, err := NewMetrics(newTestRegistry())
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewEngine(cfg, NewCluster(cfg, zap.NewNop()), handlers, m, zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), `no handler is registered as "missing"`) ||
		!strings.Contains(err.Error(), `"single" is a per-message handler, but batch.size is set`) {
		t.Fatalf("got %v", err)
	}
}
