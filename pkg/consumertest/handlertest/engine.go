package handlertest

import (
	"context"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// runInMemory is the kit's one use of the engine: its in-memory partition
// run, under the engine's default configuration, and the header names of
// its letters.
func runInMemory(ctx context.Context, handlers *registry.Registry, sub registry.Subscription, msgs []message.Message) (Result, error) {
	ds, err := kafka.RunInMemory(ctx, kafka.DefaultConfig(), handlers, sub, msgs, zap.NewNop())
	if err != nil {
		return Result{}, err
	}
	res := Result{Deliveries: make([]Delivery, len(ds))}
	for i, d := range ds {
		res.Deliveries[i] = Delivery{Message: d.Message, Outcome: Outcome(d.Outcome), Attempts: d.Attempts, Err: d.Err}
		if l := d.Letter; l != nil {
			reason, _ := l.Header(dlq.HeaderError)
			if Outcome(d.Outcome) == Rescheduled {
				reason, _ = l.Header(kafka.HeaderRetryError)
			}
			res.Deliveries[i].Letter = &Letter{Topic: l.Topic, Reason: string(reason), Message: *l}
		}
	}
	return res, nil
}
