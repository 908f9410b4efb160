package kafka

import (
	"context"
	"fmt"
	"testing"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestEmbeddedTopicsAreTheResolvedSubscriptions: the embedded broker
// creates what the service reads and writes, resolved as the engine runs
// it: a registered default's topic and default dead-letter topic, a
// configured override's own names instead of the default it replaces, a
// configured subscription's retry topic, the topics handlers declared
// they write, and kafka.embedded.topics; each once.
func TestEmbeddedTopicsAreTheResolvedSubscriptions(t *testing.T) {
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	reg, err := registry.New(
		registry.Handler("orders", noop,
			registry.Subscription{Topic: "orders", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true}},
			registry.Subscription{Topic: "refunds", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true}},
		).Writes("orders.enriched", "audit"),
		registry.Handler("payments", noop).Writes("audit"),
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Subscriptions = []registry.Subscription{
		{Topic: "refunds", Handler: "orders", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: "refunds.failed"}},
		{Topic: "payments", Handler: "payments", Ordering: registry.OrderingPartition, RetryTopic: registry.RetryTopicConfig{Enabled: true}},
	}
	cfg.Embedded.Topics = []string{"seeded", "orders"}
	embedded := func(reg *registry.Registry) string {
		t.Helper()
		m, err := NewMetrics(newTestRegistry())
		if err != nil {
			t.Fatal(err)
		}
		cluster := NewCluster(cfg, zap.NewNop())
		if _, err := NewEngine(cfg, cluster, reg, m, zap.NewNop()); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(cluster.Topics())
	}
	want := "[audit orders orders.dlq orders.enriched payments payments.retry refunds refunds.failed seeded]"
	if got := embedded(reg); got != want {
		t.Fatalf("the embedded broker creates %s\nwant                            %s", got, want)
	}
	cfg.Subscriptions = nil
	if got := embedded(registry.Empty()); got != "[orders seeded]" {
		t.Fatalf("no handler: the embedded broker creates %s, want only kafka.embedded.topics", got)
	}
}
