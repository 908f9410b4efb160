package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestEnricherRegistersItsDefaultSubscriptionAndOutput: the enricher is
// registered as a batch handler subscribed to the input topic (partition
// order, batches of 100 within 200ms, failed orders dead-lettered to the
// default <topic>.dlq) and declares the output topic it writes, both
// from the service's configuration.
func TestEnricherRegistersItsDefaultSubscriptionAndOutput(t *testing.T) {
	cfg := DefaultConfig()
	cfg.InputTopic, cfg.OutputTopic = "in", "out"
	reg, err := NewHandlers(cfg, NewOrdersEnricher(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := reg.Lookup(OrdersEnricherName); !ok || !e.Batch {
		t.Fatalf("%s registered: %v, batch: %v", OrdersEnricherName, ok, e.Batch)
	}
	want := []registry.Subscription{{
		Topic: "in", Handler: OrdersEnricherName, Ordering: registry.OrderingPartition,
		Batch:      registry.BatchConfig{Size: 100, Linger: 200 * time.Millisecond},
		Retry:      registry.DefaultRetryPolicy(),
		DeadLetter: registry.DeadLetterConfig{Enabled: true},
	}}
	// Its own: handlers added beside it (consumer new handler) have theirs.
	var got []registry.Subscription
	for _, s := range reg.Subscriptions(nil) {
		if s.Handler == OrdersEnricherName {
			got = append(got, s)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("default subscriptions\n got %+v\nwant %+v", got, want)
	}
	if got := fmt.Sprint(reg.Writes()); got != "[out]" {
		t.Fatalf("writes %s, want [out]", got)
	}
}

// TestDemoFaultsShapeTheEnrichersSubscription: what the README promises
// of each demo fault on the framework's side. batchstall makes the
// enricher's batch stage one the traffic can never fill (size 1,000,
// the default max_inflight); slow makes its batches small (at most 10); the others
// leave it alone.
func TestDemoFaultsShapeTheEnrichersSubscription(t *testing.T) {
	for fault, want := range map[string]int{"": 100, "batchstall": 1000, "slow": 10, "errorpath": 100, "leak": 100, "deadlock": 100, "panic": 100} {
		t.Run("fault "+fault, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.DemoFault = fault
			subs := OrdersEnricherRegistration(NewOrdersEnricher(nil, nil), cfg).Subscriptions()
			if len(subs) != 1 || subs[0].Batch.Size != want || subs[0].Batch.Linger != 200*time.Millisecond {
				t.Fatalf("subscriptions %+v: want one with batch size %d, linger 200ms", subs, want)
			}
		})
	}
}
