package service

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// Publisher writes messages durably: when Publish returns nil, every
// message is acknowledged by the broker. The Kafka engine provides one.
type Publisher interface {
	Publish(ctx context.Context, msgs ...message.Message) error
}

// EnrichedOrderSink writes enriched orders to the output topic, one produce
// call per batch.
type EnrichedOrderSink struct {
	pub   Publisher
	topic string
}

// NewEnrichedOrderSink writes to cfg.OutputTopic through pub.
func NewEnrichedOrderSink(cfg Config, pub Publisher) *EnrichedOrderSink {
	return &EnrichedOrderSink{pub: pub, topic: cfg.OutputTopic}
}

// Write publishes the orders, keyed by customer id like their input.
func (s *EnrichedOrderSink) Write(ctx context.Context, orders []EnrichedOrder) error {
	if len(orders) == 0 {
		return nil
	}
	msgs := make([]message.Message, len(orders))
	for i, o := range orders {
		v, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("encode enriched order %s: %w", o.ID, err)
		}
		msgs[i] = message.Message{Topic: s.topic, Key: []byte(o.CustomerID), Value: v}
	}
	if err := s.pub.Publish(ctx, msgs...); err != nil {
		return fmt.Errorf("sink %d enriched orders to %s: %w", len(msgs), s.topic, err)
	}
	return nil
}
