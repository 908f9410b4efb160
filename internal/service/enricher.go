package service

import (
	"context"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// OrdersEnricherName is the handler name subscriptions refer to.
const OrdersEnricherName = "orders-enricher"

// OrdersEnricher is a batch handler: it enriches each order of a batch and
// writes the good ones to the sink in one call.
//
// Per-message outcomes: a malformed order or an unknown customer fails that
// message alone, permanently; a failed write fails the rest of the batch
// transiently, so the framework retries them and nothing is lost.
type OrdersEnricher struct {
	customers *CustomerService
	sink      OrderWriter
}

// OrderWriter writes enriched orders downstream: when Write returns nil,
// every one of them is written. *EnrichedOrderSink is the example's.
type OrderWriter interface {
	Write(ctx context.Context, orders []EnrichedOrder) error
}

// NewOrdersEnricher wires the handler to its singletons.
func NewOrdersEnricher(customers *CustomerService, sink OrderWriter) *OrdersEnricher {
	return &OrdersEnricher{customers: customers, sink: sink}
}

// OrdersEnricherRegistration declares the enricher to the engine: h (the
// OrdersEnricher, or a demo fault around it) as a batch handler named
// OrdersEnricherName that writes cfg.OutputTopic, subscribed by default to
// cfg.InputTopic in partition order (a customer's orders, keyed by
// customer, stay in order), in batches of 100 flushed at the latest 200ms
// after their first order, a failed order dead-lettered to <input>.dlq.
// A subscription of the same handler and topic in the configuration
// replaces this one; a demo fault shapes it (Fault.ShapeSubscription).
func OrdersEnricherRegistration(h OrdersHandler, cfg Config) registry.Registration {
	sub := registry.Subscription{
		Topic:      cfg.InputTopic,
		Ordering:   registry.OrderingPartition,
		Batch:      registry.BatchConfig{Size: 100, Linger: 200 * time.Millisecond},
		Retry:      registry.DefaultRetryPolicy(),
		DeadLetter: registry.DeadLetterConfig{Enabled: true},
	}
	cfg.Fault().ShapeSubscription(&sub)
	return registry.Batch(OrdersEnricherName, h, sub).Writes(cfg.OutputTopic)
}

// HandleBatch implements message.BatchHandler.
func (h *OrdersEnricher) HandleBatch(ctx context.Context, msgs []*message.Message) error {
	failed := map[int]error{}
	enriched := make([]EnrichedOrder, 0, len(msgs))
	written := make([]int, 0, len(msgs))
	for i, m := range msgs {
		o, err := decodeOrder(m.Value)
		if err != nil {
			failed[i] = err
			continue
		}
		c, err := h.customers.Customer(ctx, o.CustomerID)
		if err != nil {
			failed[i] = err
			continue
		}
		enriched = append(enriched, EnrichedOrder{Order: o, CustomerName: c.Name, CustomerTier: c.Tier})
		written = append(written, i)
	}
	if err := h.sink.Write(ctx, enriched); err != nil {
		for _, i := range written {
			failed[i] = err
		}
	}
	if len(failed) > 0 {
		return &message.BatchError{Failed: failed}
	}
	return nil
}
