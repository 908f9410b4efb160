package registry_test

import (
	"context"
	"fmt"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// A service adds its own middleware in code: Use for every handler, or
// with a handler when registering it. The same middleware wraps per-message
// and batch calls; it runs once per attempt.
func ExampleRegistry_Use() {
	logCalls := func(next message.Call) message.Call {
		return func(ctx context.Context, msgs []*message.Message) error {
			err := next(ctx, msgs)
			fmt.Printf("%s/%d@%d, %d message(s): %v\n", msgs[0].Topic, msgs[0].Partition, msgs[0].Offset, len(msgs), err)
			return err
		}
	}
	handlers := registry.Empty().
		Use(logCalls).
		Add("orders", message.HandlerFunc(func(context.Context, *message.Message) error { return nil })).
		AddBatch("audit", message.BatchHandlerFunc(func(context.Context, []*message.Message) error { return nil }))

	// What the engine does with each registered handler, once per attempt:
	orders, _ := handlers.Lookup("orders")
	_ = message.Chain(orders.Call, orders.Middleware...)(context.Background(),
		[]*message.Message{{Topic: "orders", Offset: 42}})
	audit, _ := handlers.Lookup("audit")
	_ = message.Chain(audit.Call, audit.Middleware...)(context.Background(),
		[]*message.Message{{Topic: "audit", Offset: 42}, {Topic: "audit", Offset: 43}})
	// Output:
	// orders/0@42, 1 message(s): <nil>
	// audit/0@42, 2 message(s): <nil>
}

// A handler is declared once, next to its constructor: its name, its kind
// and the subscriptions it has unless the configuration says otherwise.
// The configuration may replace a default (same handler and topic) or add
// subscriptions.
func ExampleRegistry_Subscriptions() {
	enrich := message.BatchHandlerFunc(func(context.Context, []*message.Message) error { return nil })
	audit := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	handlers, err := registry.New(
		registry.Batch("orders-enricher", enrich, registry.Subscription{
			Topic: "orders", Ordering: registry.OrderingPartition,
			Batch: registry.BatchConfig{Size: 100, Linger: 200 * time.Millisecond},
		}),
		registry.Handler("payments-audit", audit, registry.Subscription{
			Topic: "payments", Ordering: registry.OrderingKey, Workers: 8,
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	configured := []registry.Subscription{{Topic: "payments", Handler: "payments-audit", Ordering: registry.OrderingKey, Workers: 32}}
	for _, s := range handlers.Subscriptions(configured) {
		fmt.Printf("%s -> %s (%s, %d workers, batch %d)\n", s.Topic, s.Handler, s.Ordering, s.Workers, s.Batch.Size)
	}
	// Output:
	// orders -> orders-enricher (partition, 0 workers, batch 100)
	// payments -> payments-audit (key, 32 workers, batch 0)
}
