package kafka

import (
	"context"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// worker is one consumer of a lane's queue: it takes each message (or
// batch) to its outcome before the next.
type worker struct {
	p          *partitionRun
	index      int
	genCtx     context.Context // ends on revoke or shutdown
	handlerCtx context.Context // ends the drain timeout after genCtx
	inbox      <-chan *pooledMessage
	slot       *atomic.Pointer[callContext] // the running call, for the deadline enforcer
	block      *blockedSlot                 // what holds this worker, if anything
	recs       []deliveryRecord             // reused by deliver: the records of its delivery
	ctx        *callContext                 // reused by invoke when no one can tell (see callContext)
}

func (w *worker) work() {
	if w.p.sub.isBatch {
		w.workBatches()
		return
	}
	one := make([]*message.Message, 1) // reused: no allocation per message
	// last is when the worker's last call ended, while nothing has
	// blocked it since (0 otherwise): a message already waiting in the
	// queue then starts its call at that time, which saves a clock read
	// per message when the worker is busy and is off by the bookkeeping
	// between the two calls only (well under a microsecond).
	var last int64
	for {
		var m *pooledMessage
		var ok bool
		start := last
		select {
		case m, ok = <-w.inbox:
		default:
			m, ok = <-w.inbox // waits: the clock is read when the call starts
			start = 0
		}
		if !ok {
			return // closed by the fetch loop when it ends
		}
		if w.p.ending.Load() {
			return // what is still queued stays uncommitted: redelivered
		}
		if w.p.sub.retryOf != nil {
			if !w.waitUntilDue(&m.Message) {
				return // the generation ended while waiting: redelivered later
			}
			start = 0
		}
		one[0] = &m.Message
		last = w.deliver(one, start)
		w.p.pool.put(m) // its delivery returned: no call holds it any more
	}
}

// waitUntilDue holds a retry-topic message until its round is due, on
// this worker only; it returns false if the generation ends first. The
// wait is capped at the retry topic's delay: a due time further away
// (a producer's skewed clock, a hand-made header) would otherwise hold the
// partition until the next rebalance. A message whose retry.due is missing
// or unreadable is handled at once, with a warning: parking it would hold
// the partition for nothing, and dropping it would lose it.
func (w *worker) waitUntilDue(m *message.Message) bool {
	if malformedRound(m) {
		v, _ := m.Header(HeaderRetryRound)
		w.p.log.Warn("retry-topic message has a retry.round header that is not a positive number; counting it as round 1",
			zap.Int64("offset", m.Offset), zap.ByteString("retry_round", v))
	}
	due, err := retryDue(m)
	if err != nil {
		w.p.log.Warn("retry-topic message has no valid retry.due; handling it now", zap.Int64("offset", m.Offset), zap.Error(err))
		return true
	}
	d := time.Until(due)
	if limit := w.p.sub.RetryTopic.Delay; d > limit {
		w.p.log.Warn("retry-topic message is due later than the retry delay allows; waiting only the delay",
			zap.Int64("offset", m.Offset), zap.Time("due", due), zap.Duration("delay", limit))
		d = limit
	}
	if d > 0 {
		return sleep(w.genCtx, d)
	}
	return true
}

// workBatches hands batches to the batch handler as the accumulator says
// they are due, and flushes what it holds when the generation ends.
func (w *worker) workBatches() {
	acc := newBatchAccumulator(w.p.sub.Batch)
	var held []*pooledMessage // the messages of acc, for the pool
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	flush := func(reason string) {
		timer.Stop()
		batch := acc.take()
		w.p.sub.batches.observe(reason, len(batch))
		w.deliver(batch, 0)
		for _, m := range held { // the delivery returned: no call holds them any more
			w.p.pool.put(m)
		}
		held = held[:0]
	}
	for {
		if w.genCtx.Err() != nil {
			if !acc.empty() {
				flush(w.p.gen.engine.endReason())
			}
			return
		}
		select {
		case <-w.genCtx.Done():
		case m, ok := <-w.inbox:
			if !ok || w.p.ending.Load() {
				if !acc.empty() {
					flush(w.p.gen.engine.endReason())
				}
				return
			}
			now := time.Now()
			wasEmpty := acc.empty()
			held = append(held, m)
			if reason := acc.add(&m.Message, now); reason != "" {
				flush(reason)
			} else if wasEmpty {
				deadline, _ := acc.nextDeadline()
				timer.Reset(deadline.Sub(now))
			}
		case now := <-timer.C:
			if acc.due(now) {
				flush("linger")
			}
		}
	}
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
