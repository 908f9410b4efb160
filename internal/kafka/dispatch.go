package kafka

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/message"
	"github.com/consumerkit/consumerkit/internal/message/middleware"
)

// process is the one place that decides what becomes of fetched messages.
// Whatever path a handler took — success, error, panic, timeout, bad
// input — each message ends in exactly one recorded outcome:
//   - success: handled on the first attempt;
//   - retried: handled after failed attempts;
//   - dead_lettered: finally failed and written to its dead-letter topic;
//   - failed: finally failed with no dead-letter topic: logged with its
//     reason, counted, and committed past so the partition moves on.
//
// A per-message handler runs inside the middleware chain, which retries and
// dead-letters; a batch is retried and dead-lettered here, message by
// message, under the same policy. What is neither done nor finally failed —
// a dead-letter write that failed, a retry cut short by revoke — is tried
// again in place, blocking only this worker, so nothing is committed past
// it. When the generation ends, such messages get no outcome: they stay
// uncommitted and are redelivered to the next owner.
func (p *partitionRun) process(genCtx, handlerCtx context.Context, slot *atomic.Pointer[callContext], msgs []*message.Message) {
	cfg := p.gen.engine.cfg
	pending := msgs
	for round := 1; ; round++ {
		err := p.invoke(handlerCtx, slot, pending)
		var again []*message.Message
		for i, m := range pending {
			merr := message.ErrorAt(err, i)
			if p.sub.isBatch {
				merr = p.settleBatchAttempt(handlerCtx, m, merr)
			}
			if o, done := outcomeOf(m, merr); done {
				p.finish(m, o)
				continue
			}
			again = append(again, m)
			if errors.Is(merr, middleware.ErrDeadLetterWrite) {
				p.sub.metrics.deadLetterErrs.Inc()
				p.log.Error("dead-letter write failed; the partition holds at this message and retries",
					zap.Int64("offset", m.Offset), zap.Error(merr))
			}
		}
		if len(again) == 0 {
			return
		}
		pending = again
		delay := cfg.blockingRetry().Delay(round)
		if p.sub.isBatch {
			delay = p.sub.Retry.Delay(pending[0].Attempts)
		}
		if !sleep(genCtx, delay) {
			p.log.Info("stopped retrying: generation ended; messages left uncommitted for redelivery",
				zap.Int("messages", len(pending)), zap.Int64("first_offset", pending[0].Offset))
			return
		}
	}
}

// outcomeOf maps a message's final error to its outcome; done is false
// while the message must be tried again.
func outcomeOf(m *message.Message, err error) (message.Outcome, bool) {
	switch {
	case err == nil && m.Attempts <= 1:
		return message.OutcomeSuccess, true
	case err == nil:
		return message.OutcomeRetried, true
	case message.IsDeadLettered(err):
		return message.OutcomeDeadLettered, true
	case message.IsRescheduled(err):
		return message.OutcomeRescheduled, true
	case message.IsPermanent(err):
		return message.OutcomeFailed, true
	}
	return "", false
}

// settleBatchAttempt applies the subscription's retry and dead-letter
// policy to one message of a batch after an attempt: it counts the attempt
// and, once the message failed permanently or used up its attempts,
// dead-letters it (or, with no dead-letter topic, marks it finally failed).
func (p *partitionRun) settleBatchAttempt(ctx context.Context, m *message.Message, err error) error {
	m.Attempts++
	if err == nil {
		return nil
	}
	m.RecordFailure(time.Now())
	if !message.IsPermanent(err) && m.Attempts < p.sub.Retry.MaxAttempts {
		return err
	}
	if !message.IsPermanent(err) {
		err = fmt.Errorf("gave up after %d attempts: %w", m.Attempts, err)
	}
	if p.sub.deadLetter == nil {
		p.log.Error("message failed permanently; committing past it", zap.Int64("offset", m.Offset),
			zap.String("handler", p.sub.Handler), zap.Int("attempts", m.Attempts), zap.Error(err))
		return message.Permanent(err)
	}
	werr := p.sub.deadLetter.Write(ctx, m, err)
	if message.IsDeadLettered(werr) {
		p.log.Error("message dead-lettered", zap.Int64("offset", m.Offset), zap.String("handler", p.sub.Handler),
			zap.Int("attempts", m.Attempts), zap.Error(werr))
	}
	return werr
}

// invoke calls the handler once under HandlerTimeout and turns a panic that
// escaped the chain (a batch handler's) into an error carrying its stack,
// retried like any failure. The call's context is published in slot for
// the partition's watchdog while it runs.
func (p *partitionRun) invoke(parent context.Context, slot *atomic.Pointer[callContext], msgs []*message.Message) (err error) {
	start := time.Now()
	ctx := newCallContext(parent, start.Add(p.gen.engine.cfg.HandlerTimeout))
	ctx.start, ctx.offset = start, msgs[0].Offset
	slot.Store(ctx)
	defer func() {
		slot.Store(nil)
		if ctx.zombie.Load() { // the zombie came back
			p.zombies.Add(-1)
			p.gen.engine.metrics.zombies.Sub(1)
		}
		ctx.cancel(context.Canceled) // the call is over; derived contexts end with it
		if r := recover(); r != nil {
			p.sub.metrics.panics.Inc()
			err = &middleware.PanicError{Value: r, Stack: debug.Stack()}
		}
		if p.sub.isBatch { // per-message handlers are timed per attempt by the chain
			p.sub.metrics.duration.Observe(time.Since(start).Seconds())
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
	p.lastDone.Store(time.Now().UnixNano())
	p.limiter.release(m.Size())
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
