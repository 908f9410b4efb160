package kafka

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// deliver takes msgs — one message, or a batch of one partition in offset
// order — each to exactly one recorded outcome. It is the one place that
// decides what becomes of a fetched message, for both handler kinds and
// whatever path the handler took (success, error, panic, deadline, bad
// input):
//
//   - success, or retried: a call returned nil for it (retried: after
//     failed attempts);
//   - a failed attempt is followed, after a backoff that runs outside any
//     deadline, by another call with only the messages that failed, until
//     each has been part of Retry.MaxAttempts calls — counted in the
//     worker's own record of the delivery, of which the handler sees
//     copies (Message.Attempts, FirstFailure, LastFailure) that it cannot
//     change the count through;
//   - then, or at once for a message.Permanent error: rescheduled to the
//     retry topic while rounds are left (never a Permanent error), else
//     dead_lettered, else failed (no dead-letter topic: logged, counted and
//     committed past).
//
// A letter write is retried, never the handler, until it succeeds; while
// it fails the worker is blocked by a named cause. Only the partition
// being given up interrupts this: revoke and shutdown end every wait, and
// a message whose call was cut by the drain deadline, or that is still
// waiting, gets no outcome and stays uncommitted for the next owner.
//
// start is when the first call starts (a clock reading), or 0 to read the
// clock. It returns when its last call ended if nothing that may block (a
// letter's write) followed it, else 0.
func (w *worker) deliver(msgs []*message.Message, start int64) (tail int64) {
	p := w.p
	first, last := msgs[0].Offset, msgs[len(msgs)-1].Offset
	pending, recs := msgs, w.records(len(msgs)) // recs[i] is pending[i]'s record
	if start == 0 {
		start = p.clock.now()
	}
	for {
		for i, m := range pending {
			recs[i].attempts++ // the handler sees the attempt it is in
			recs[i].show(m)
		}
		end, err := w.invoke(pending, start)
		if p.window.isClosed() {
			return 0 // abandoned: the messages were released for redelivery
		}
		// A call cut short by the drain deadline may have failed because of
		// it, not because of its messages: no outcome for those.
		cut := w.handlerCtx.Err() != nil
		if !cut && err != nil {
			w.logPanic(err, pending, recs[0].attempts)
		}
		tail = end
		// again and its records reuse pending's and recs' arrays: writes
		// never overtake reads.
		again, againRecs := pending[:0], recs[:0]
		// ifs, not a switch: coverage (and so mutation testing) sees into
		// an if's condition, not into a case expression.
		for i, m := range pending {
			r := &recs[i]
			merr := delivery.ErrorAt(err, i)
			if merr == nil {
				w.succeeded(m, r.attempts, end)
				continue
			}
			if cut {
				continue
			}
			r.failed(p.clock.time(end))
			if message.IsPermanent(merr) || r.attempts >= p.sub.Retry.MaxAttempts {
				w.settle(m, r, merr, first, last)
				tail = 0
			} else {
				again, againRecs = append(again, m), append(againRecs, *r)
			}
		}
		if cut || len(again) == 0 {
			return tail
		}
		pending, recs = again, againRecs
		if !sleep(w.genCtx, p.sub.Retry.Delay(recs[0].attempts)) {
			p.log.Info("stopped retrying: the generation ended; messages left uncommitted for redelivery",
				zap.Int("messages", len(pending)), zap.Int64("first_offset", pending[0].Offset))
			return 0
		}
		start = p.clock.now()
	}
}

// logPanic logs a call's recovered panic, with its stack, once per call
// and when it happens: a retry that then succeeds would leave no other
// trace of where it panicked (settle logs the stack again if the message
// finally fails).
func (w *worker) logPanic(err error, msgs []*message.Message, attempt int) {
	var pe *lifecycle.PanicError
	if !errors.As(err, &pe) {
		return
	}
	w.p.log.Warn("handler call panicked; recovered, the attempt failed",
		zap.Int64("first_offset", msgs[0].Offset), zap.Int64("last_offset", msgs[len(msgs)-1].Offset),
		zap.Int("attempt", attempt), zap.Error(err), zap.ByteString("stack", pe.Stack))
}

func (w *worker) succeeded(m *message.Message, attempts int, at int64) {
	if attempts <= 1 {
		w.p.finish(m, delivery.OutcomeSuccess, at)
		return
	}
	if w.p.finish(m, delivery.OutcomeRetried, at) {
		w.p.log.Info("message handled after retries", zap.Int64("offset", m.Offset), zap.Int("attempts", attempts))
	}
}

// settle ends m, whose handling finally failed with cause after the
// attempts r records: to the retry topic while rounds are left, else to
// the dead-letter topic, else as failed. first and last bound the delivery
// the worker holds meanwhile.
func (w *worker) settle(m *message.Message, r *deliveryRecord, cause error, first, last int64) {
	p := w.p
	r.show(m) // the letter is built from m: the record, not what the handler wrote
	exhausted := !message.IsPermanent(cause)
	if exhausted {
		cause = fmt.Errorf("gave up after %d attempts: %w", r.attempts, cause)
	}
	fields := []zap.Field{zap.Int64("offset", m.Offset), zap.Int("attempts", r.attempts), zap.Error(cause)}
	var pe *lifecycle.PanicError
	if errors.As(cause, &pe) {
		fields = append(fields, zap.ByteString("stack", pe.Stack)) // the stack goes to the log, never to a header
	}
	// ifs, not a switch, for the coverage of their conditions (see deliver).
	if p.sub.rescheduleTo != "" && exhausted && retryRound(m) < p.sub.RetryTopic.Rounds {
		letter := retryLetter(m, cause, p.sub.rescheduleTo, time.Now().Add(p.sub.RetryTopic.Delay))
		if w.handOff(m, letter, toRetryTopic, first, last) && p.finish(m, delivery.OutcomeRescheduled, p.clock.now()) {
			p.log.Warn("message rescheduled to its retry topic", append(fields, zap.String("retry_topic", p.sub.rescheduleTo))...)
		}
		return
	}
	if p.sub.deadLetterTopic != "" {
		letter := deadLetter(m, cause, p.sub.deadLetterTopic, time.Now())
		if w.handOff(m, letter, toDeadLetter, first, last) && p.finish(m, delivery.OutcomeDeadLettered, p.clock.now()) {
			p.log.Error("message dead-lettered", append(fields, zap.String("dead_letter_topic", p.sub.deadLetterTopic))...)
		}
		return
	}
	if p.finish(m, delivery.OutcomeFailed, p.clock.now()) {
		p.log.Error("message failed and there is no dead-letter topic; committing past it", fields...)
	}
}

// handOff writes m's letter to its target, retrying the write — never the
// handler — until it is stored (true) or the partition is given up or
// released (false: m stays uncommitted). While writes fail the worker is
// blocked: reported by kafka_consumer_partition_blocked, /debug/consumer
// and an error log at most once per BlockedRetryInterval. A write the
// broker rejects (too large, not authorized, invalid) is tried again only
// once per BlockedRetryInterval, so an operator's fix is picked up without
// a restart; other failures back off from RetryBackoff to MaxRetryBackoff.
func (w *worker) handOff(m *message.Message, letter message.Message, target handoffTarget, first, last int64) bool {
	p := w.p
	cfg := p.gen.engine.cfg
	// Until a write fails, the worker holds its delivery for a known,
	// bounded reason (the write, at most WriteTimeout): not a stall.
	var blocked *blockedState
	w.block.state.Store(&blockedState{offset: m.Offset, first: first, last: last, since: time.Now(), letterTopic: letter.Topic})
	defer w.block.state.Store(nil)
	for {
		if p.window.isClosed() {
			return false
		}
		err := w.writeLetter(letter)
		if err == nil {
			if blocked != nil {
				p.log.Info("partition unblocked: letter written", zap.Int64("offset", m.Offset), zap.String("reason", blocked.reason),
					zap.Int("failed_writes", blocked.failures), zap.Duration("blocked_for", time.Since(blocked.since)))
			}
			return true
		}
		now := time.Now()
		rejected := rejectedWrite(err)
		p.sub.metrics.letterErrors[target].Inc()
		next := blockedState{reason: blockedReason(target, rejected), letterTopic: letter.Topic,
			offset: m.Offset, first: first, last: last, since: now, failures: 1, err: err}
		if blocked != nil {
			next.since, next.failures = blocked.since, blocked.failures+1
		}
		blocked = &next
		w.block.state.Store(blocked)
		if blocked.failures == 1 || !now.Before(w.block.logAgainAt) {
			w.block.logAgainAt = now.Add(cfg.BlockedRetryInterval)
			p.log.Error("partition blocked: a letter cannot be written, so the message cannot be committed",
				zap.Int64("offset", m.Offset), zap.String("reason", blocked.reason), zap.String("letter_topic", letter.Topic),
				zap.Int("failed_writes", blocked.failures), zap.Duration("blocked_for", now.Sub(blocked.since)),
				zap.Error(err), zap.String("what_to_do", blockedAdvice(blocked.reason)))
		}
		delay := cfg.blockingRetry().Delay(blocked.failures)
		if rejected {
			delay = cfg.BlockedRetryInterval
		}
		if !sleep(w.genCtx, delay) {
			p.log.Info("stopped writing a letter: the generation ended; the message stays uncommitted for redelivery",
				zap.Int64("offset", m.Offset), zap.String("letter_topic", letter.Topic))
			return false
		}
	}
}

// writeLetter makes one write, bounded by WriteTimeout and by the drain.
// kafka-go starts a goroutine per topic-partition on its first write
// there; they belong to the engine, not to the handler whose worker wrote
// first, so the write runs without the worker's profiler labels.
func (w *worker) writeLetter(letter message.Message) error {
	ctx, cancel := context.WithTimeout(w.handlerCtx, w.p.gen.engine.cfg.WriteTimeout)
	defer cancel()
	pprof.SetGoroutineLabels(context.Background())
	defer pprof.SetGoroutineLabels(w.p.sub.labels)
	if err := w.p.gen.engine.letters.write(ctx, letter); err != nil {
		return fmt.Errorf("write letter to %s: %w", letter.Topic, err)
	}
	return nil
}

// finish records m's outcome, reached at (a clock reading), and frees its
// place in the window. It returns false, recording nothing, once the
// partition has released its messages (abandoned at revoke or shutdown).
func (p *partitionRun) finish(m *message.Message, o delivery.Outcome, at int64) bool {
	if !p.window.done(m.Offset, at) {
		return false
	}
	p.sub.metrics.outcomes[outcomeIndex(o)].Inc()
	return true
}
