//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// TestStartGivesUpWhenItsContextEnds (issue 9, finding 6): a SIGTERM
// while the engine creates its retry topics on a broker that does not
// answer ends Start at once, with the context's error, instead of after
// the client's 30s timeout.
func TestStartGivesUpWhenItsContextEnds(t *testing.T) {
	addr, accepted := consumertest.BlackHole(t, 3*time.Second)
	cfg := testConfig([]registry.Subscription{{Topic: "orders", Handler: "h", Ordering: registry.OrderingPartition,
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Delay: time.Second, Rounds: 1}}})
	cfg.Brokers = []string{addr}
	m, err := NewMetrics(newTestRegistry())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewCluster(cfg, zap.NewNop()), registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return nil })), m, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Start(ctx) }()
	<-accepted
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Start = %v, want the context's cancellation", err)
		}
	case <-time.After(10 * time.Second): // well below the client's 30s: only a Start that ignores ctx gets here
		t.Fatal("Start ignored its cancelled context")
	}
}

// TestLetterWriterGoroutinesAreNotTheHandlers (issue 9, finding 6):
// kafka-go starts its writer goroutines on the first write to each
// partition. When that write is a dead letter written on a handler's
// worker, or a handler's own Publish, those goroutines belong to the
// engine or the publisher: the goroutines labelled with the handler are its
// workers alone, so leak attribution does not count them.
func TestLetterWriterGoroutinesAreNotTheHandlers(t *testing.T) {
	const partitions = 4
	b := newTestBroker(t)
	topic := b.createTopic("labels", partitions)
	out := b.createTopic("labels-out", partitions)
	b.createExactTopic(topic+".dlq", partitions)
	pub := b.startPublisher()
	var mu sync.Mutex
	handled := 0
	h := message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
		mu.Lock()
		handled++
		mu.Unlock()
		if m.Offset%2 == 0 {
			return message.Permanent(errors.New("poison"))
		}
		return pub.Publish(ctx, message.Message{Topic: out, Key: m.Key, Value: m.Value})
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "labelled", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true}}})
	e := b.startEngine(cfg, registry.Empty().Add("labelled", h))
	b.produce(topic, 0, 40, strconv.Itoa)
	consumertest.Eventually(t, "every message", func() bool { mu.Lock(); defer mu.Unlock(); return handled >= 40 })
	consumertest.Eventually(t, "every outcome", func() bool {
		return outcomes(e, topic, "labelled", delivery.OutcomeDeadLettered)+outcomes(e, topic, "labelled", delivery.OutcomeSuccess) == 40
	})
	counts, top := watchdog.ByHandler(watchdog.Goroutines())
	if got := counts["labelled"]; got != partitions {
		t.Fatalf("%d goroutines labelled with the handler, want its %d workers; most are in %v", got, partitions, top["labelled"])
	}
}
