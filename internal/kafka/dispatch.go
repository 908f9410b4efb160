package kafka

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/message"
)

// process is the one place that decides what becomes of fetched messages.
// It calls the handler, retries transient failures in place (blocking this
// partition, so order holds), and records exactly one outcome per message:
//   - success: handled on the first attempt;
//   - retried: handled after failed attempts;
//   - failed: a permanent error (message.Permanent, or a panic, which would
//     only repeat) — logged with its reason, counted, and committed past so
//     the partition moves on.
//
// When the generation ends during retries, the messages still failing get
// no outcome: they stay uncommitted and are redelivered to the next owner.
func (p *partitionRun) process(genCtx, handlerCtx context.Context, slot *atomic.Pointer[callContext], msgs []*message.Message) {
	cfg := p.gen.engine.cfg
	pending := msgs
	for attempt := 1; ; attempt++ {
		err := p.invoke(handlerCtx, slot, pending)
		var retry []*message.Message
		for i, m := range pending {
			merr := message.ErrorAt(err, i)
			switch {
			case merr == nil && attempt == 1:
				p.finish(m, message.OutcomeSuccess)
			case merr == nil:
				p.finish(m, message.OutcomeRetried)
			case message.IsPermanent(merr):
				p.log.Error("message failed permanently; committing past it",
					zap.Int64("offset", m.Offset), zap.String("handler", p.sub.Handler),
					zap.Int("attempts", attempt), zap.Error(merr))
				p.finish(m, message.OutcomeFailed)
			default:
				retry = append(retry, m)
				if i == 0 || len(pending) == 1 {
					p.log.Warn("handler failed; retrying in place",
						zap.Int64("offset", m.Offset), zap.String("handler", p.sub.Handler),
						zap.Int("attempt", attempt), zap.Error(merr))
				}
			}
		}
		if len(retry) == 0 {
			return
		}
		pending = retry
		if !sleep(genCtx, backoff(attempt, cfg.RetryBackoff, cfg.MaxRetryBackoff)) {
			p.log.Info("stopped retrying: generation ended; messages left uncommitted for redelivery",
				zap.Int("messages", len(pending)), zap.Int64("first_offset", pending[0].Offset))
			return
		}
	}
}

// invoke calls the handler once under HandlerTimeout, timing it, and turns
// a panic into a permanent error carrying its stack. The call's context is
// published in slot for the partition's watchdog while it runs.
func (p *partitionRun) invoke(parent context.Context, slot *atomic.Pointer[callContext], msgs []*message.Message) (err error) {
	start := time.Now()
	ctx := newCallContext(parent, start.Add(p.gen.engine.cfg.HandlerTimeout))
	slot.Store(ctx)
	defer func() {
		slot.Store(nil)
		ctx.cancel(context.Canceled) // the call is over; derived contexts end with it
		p.sub.metrics.duration.Observe(time.Since(start).Seconds())
		if r := recover(); r != nil {
			err = message.Permanent(fmt.Errorf("handler %s panicked: %v\n%s", p.sub.Handler, r, debug.Stack()))
		}
	}()
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", errRevoked, ctx.Err())
	}
	return p.sub.handle(ctx, msgs)
}

// finish records a message's outcome, releases its offset for commit and
// returns its room in the in-flight bound.
func (p *partitionRun) finish(m *message.Message, o message.Outcome) {
	p.sub.metrics.outcomes[o].Inc()
	p.tracker.Done(m.Offset)
	p.limiter.release(m.Size())
}

// backoff is exponential from base, capped at maxDelay, with full jitter in
// its upper half so retrying partitions do not move in lockstep.
func backoff(attempt int, base, maxDelay time.Duration) time.Duration {
	d := base << min(attempt-1, 30)
	if d <= 0 || d > maxDelay {
		d = maxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}

// sleep waits d, or returns false at once when ctx ends.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
