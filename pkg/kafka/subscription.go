package kafka

import (
	"context"
	"fmt"
	"runtime/pprof"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/internal/proflabel"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/message/middleware"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// subscription is a Subscription bound to its handler and metrics.
type subscription struct {
	registry.Subscription
	// call runs one attempt: the service's middleware, Recover, the
	// handler.
	call    message.Call
	isBatch bool
	// deadLetterTopic receives finally failed messages; "" when disabled.
	deadLetterTopic string
	// rescheduleTo is the retry topic that failed messages go to while
	// rounds are left; "" when disabled.
	rescheduleTo string
	// retryOf is the subscription whose retry topic this one consumes.
	retryOf *subscription
	metrics subscriptionMetrics
	batches batchMetrics
	log     *zap.Logger
	// labels are set on every worker goroutine, and so inherited by every
	// goroutine the handler starts: leaks are attributed to their handler.
	// Handler contexts carry them too.
	labels context.Context
}

// bind binds s (with its defaults filled in) to its registered handler and
// adds it, and its retry topic's subscription if it has one, to e.subs. It
// returns why it cannot: the handler is not registered, or is of the
// wrong kind for s.
func (e *Engine) bind(s registry.Subscription, handlers *registry.Registry) error {
	entry, ok := handlers.Lookup(s.Handler)
	wantBatch := s.Batch.Size > 0
	switch {
	case !ok:
		return fmt.Errorf("subscription %s: no handler is registered as %q (registered: %v)", s.Topic, s.Handler, handlers.Names())
	case wantBatch && !entry.Batch:
		return fmt.Errorf("subscription %s: %q is a per-message handler, but batch.size is set: register a batch handler or remove batch", s.Topic, s.Handler)
	case !wantBatch && entry.Batch:
		return fmt.Errorf("subscription %s: %q is a batch handler, but batch.size is not set", s.Topic, s.Handler)
	}
	sm := e.metrics.forSubscription(s.Topic, s.Handler)
	chain := append(entry.Middleware[:len(entry.Middleware):len(entry.Middleware)], middleware.Recover(sm.panics.Inc))
	sub := &subscription{Subscription: s, call: message.Chain(entry.Call, chain...), isBatch: entry.Batch,
		metrics: sm, log: e.log.With(zap.String("handler", s.Handler), zap.String("topic", s.Topic)),
		labels: pprof.WithLabels(context.Background(), pprof.Labels(proflabel.Handler, s.Handler, "topic", s.Topic))}
	if s.DeadLetter.Enabled {
		sub.deadLetterTopic = s.DeadLetter.Topic
	}
	if entry.Batch {
		sub.batches = e.metrics.forBatches(s.Handler)
	}
	if s.RetryTopic.Enabled {
		sub.rescheduleTo = s.RetryTopic.Topic
	}
	e.subs[s.Topic] = sub
	if s.RetryTopic.Enabled {
		// The retry topic is consumed by the same handler and chain,
		// under the same policy; its messages wait until due in their
		// own partition's worker and go back to it for later rounds.
		rs := *sub
		rs.Topic = s.RetryTopic.Topic
		rs.retryOf = sub
		rs.metrics = e.metrics.forSubscription(rs.Topic, s.Handler)
		rs.log = e.log.With(zap.String("handler", s.Handler), zap.String("topic", rs.Topic))
		e.subs[rs.Topic] = &rs
	}
	return nil
}
