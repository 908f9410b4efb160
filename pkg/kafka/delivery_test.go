package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

func fastRetry(attempts int) registry.RetryPolicy {
	return registry.RetryPolicy{MaxAttempts: attempts, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

// TestEveryAttemptGetsItsOwnDeadlineAndTimeoutsEndInTheDeadLetterTopic
// (issue 9, finding 1): a handler that honours its context and always runs
// out of time is called MaxAttempts times, each call with the whole
// handler_timeout ahead of it, and is then dead-lettered — per-message and
// batch handlers alike, through the same path.
func TestEveryAttemptGetsItsOwnDeadlineAndTimeoutsEndInTheDeadLetterTopic(t *testing.T) {
	const timeout = 100 * time.Millisecond
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			var mu sync.Mutex
			var ahead []time.Duration // deadline minus now, at each call's start
			slow := func(ctx context.Context, n int) error {
				dl, _ := ctx.Deadline()
				mu.Lock()
				ahead = append(ahead, time.Until(dl))
				mu.Unlock()
				<-ctx.Done()
				return ctx.Err()
			}
			handlers := registry.Empty()
			sub := registry.Subscription{Handler: "slow", Ordering: registry.OrderingPartition, Retry: fastRetry(3), DeadLetter: registry.DeadLetterConfig{Enabled: true}}
			msgs := messages(0, 1)
			if batch {
				handlers.AddBatch("slow", message.BatchHandlerFunc(func(ctx context.Context, ms []*message.Message) error { return slow(ctx, len(ms)) }))
				sub.Batch = registry.BatchConfig{Size: 10, Linger: time.Second}
				msgs = messages(0, 3)
			} else {
				handlers.Add("slow", message.HandlerFunc(func(ctx context.Context, _ *message.Message) error { return slow(ctx, 1) }))
			}
			cfg := testConfig(nil)
			cfg.HandlerTimeout = timeout
			r := newRig(t, cfg, sub, handlers)
			r.deliver(msgs...)

			if got := r.outcome(delivery.OutcomeDeadLettered); got != len(msgs) || r.outcomes() != len(msgs) {
				t.Fatalf("dead_lettered %d of %d (all outcomes %d)", got, len(msgs), r.outcomes())
			}
			mu.Lock()
			defer mu.Unlock()
			if len(ahead) != 3 {
				t.Fatalf("%d calls, want exactly max_attempts 3", len(ahead))
			}
			for i, a := range ahead {
				if a < timeout/2 {
					t.Errorf("call %d started with %s of its deadline left: the deadline must bound one attempt (%s), not all of them", i+1, a, timeout)
				}
			}
			for _, l := range r.letters.letters() {
				if v, _ := l.Header(dlq.HeaderAttempts); string(v) != "3" {
					t.Errorf("dead letter says %s attempts, want 3", v)
				}
				if v, _ := l.Header(dlq.HeaderError); !strings.Contains(string(v), "gave up after 3 attempts: context deadline exceeded") {
					t.Errorf("dead letter error %q", v)
				}
			}
			if r.committable() != int64(len(msgs)) {
				t.Fatalf("committable %d, want %d", r.committable(), len(msgs))
			}
		})
	}
}

// TestASubscriptionsOwnHandlerTimeoutBoundsItsCalls (issue 9, item 7): a
// subscription's handler_timeout is the deadline of its calls, batch
// calls included, instead of the engine's.
func TestASubscriptionsOwnHandlerTimeoutBoundsItsCalls(t *testing.T) {
	var ahead atomic.Int64
	handlers := registry.Empty().AddBatch("b", message.BatchHandlerFunc(func(ctx context.Context, _ []*message.Message) error {
		dl, _ := ctx.Deadline()
		ahead.Store(int64(time.Until(dl)))
		return nil
	}))
	cfg := testConfig(nil)
	cfg.HandlerTimeout = time.Hour
	r := newRig(t, cfg, registry.Subscription{Handler: "b", Ordering: registry.OrderingPartition, Batch: registry.BatchConfig{Size: 5, Linger: time.Second},
		HandlerTimeout: 200 * time.Millisecond}, handlers)
	r.deliver(messages(0, 2)...)
	if got := time.Duration(ahead.Load()); got > 200*time.Millisecond || got <= 0 {
		t.Fatalf("the batch call had %s to its deadline; want the subscription's 200ms", got)
	}
}

// TestHandlersSeeTheAttemptTheyAreIn: Message.Attempts counts the call in
// progress, so a handler can tell its first attempt from a retry.
func TestHandlersSeeTheAttemptTheyAreIn(t *testing.T) {
	var seen []int
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		seen = append(seen, m.Attempts)
		if m.Attempts < 3 {
			return errBusy
		}
		return nil
	}))
	r := newRig(t, testConfig(nil), registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(3)}, handlers)
	r.deliver(messages(0, 1)...)
	if fmt.Sprint(seen) != "[1 2 3]" || r.outcome(delivery.OutcomeRetried) != 1 {
		t.Fatalf("attempts seen %v, retried %d", seen, r.outcome(delivery.OutcomeRetried))
	}
}

// TestBackoffsLongerThanTheDeadlineStillEndTheMessage (issue 9, finding
// 1): five attempts whose backoffs alone exceed handler_timeout — a
// configuration validation accepts — reach the dead-letter topic after
// exactly five calls.
func TestBackoffsLongerThanTheDeadlineStillEndTheMessage(t *testing.T) {
	var calls atomic.Int32
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error {
		calls.Add(1)
		return errBusy
	}))
	cfg := testConfig(nil)
	cfg.HandlerTimeout = 50 * time.Millisecond
	sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true},
		Retry: registry.RetryPolicy{MaxAttempts: 5, InitialBackoff: 40 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}}
	r := newRig(t, cfg, sub, handlers)
	r.deliver(messages(0, 1)...)
	if calls.Load() != 5 || r.outcome(delivery.OutcomeDeadLettered) != 1 {
		t.Fatalf("%d calls, dead_lettered %d; want 5 and 1", calls.Load(), r.outcome(delivery.OutcomeDeadLettered))
	}
}

// TestBatchRetriesOnlyWhatFailedAndSettlesMessageByMessage: a batch's
// failures are settled one by one — the permanent one dead-lettered at
// once, the transient one retried alone — and a message that succeeded is
// never passed again.
func TestBatchRetriesOnlyWhatFailedAndSettlesMessageByMessage(t *testing.T) {
	var mu sync.Mutex
	var calls [][]int64
	handlers := registry.Empty().AddBatch("b", message.BatchHandlerFunc(func(_ context.Context, msgs []*message.Message) error {
		mu.Lock()
		defer mu.Unlock()
		var offs []int64
		failed := map[int]error{}
		for i, m := range msgs {
			offs = append(offs, m.Offset)
			switch {
			case m.Offset == 3:
				failed[i] = message.Permanent(errors.New("malformed"))
			case m.Offset == 1 && len(calls) == 0:
				failed[i] = errBusy
			}
		}
		calls = append(calls, offs)
		if len(failed) > 0 {
			return &message.BatchError{Failed: failed}
		}
		return nil
	}))
	sub := registry.Subscription{Handler: "b", Ordering: registry.OrderingPartition, Batch: registry.BatchConfig{Size: 10, Linger: time.Second},
		Retry: fastRetry(3), DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	r := newRig(t, testConfig(nil), sub, handlers)
	r.deliver(messages(0, 5)...)
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(calls) != "[[0 1 2 3 4] [1]]" {
		t.Fatalf("calls %v, want the whole batch then only the transient failure", calls)
	}
	if r.outcome(delivery.OutcomeSuccess) != 3 || r.outcome(delivery.OutcomeRetried) != 1 || r.outcome(delivery.OutcomeDeadLettered) != 1 {
		t.Fatalf("success %d retried %d dead_lettered %d", r.outcome(delivery.OutcomeSuccess), r.outcome(delivery.OutcomeRetried), r.outcome(delivery.OutcomeDeadLettered))
	}
	if letters := r.letters.letters(); len(letters) != 1 || string(letters[0].Value) != "3" {
		t.Fatalf("dead letters %v", letters)
	}
	if r.committable() != 5 {
		t.Fatalf("committable %d", r.committable())
	}
}

// TestServiceMiddlewareWrapsEveryAttemptOfBothKinds (issue 9, item 7):
// middleware added with Use and with a handler wraps each attempt, under
// that attempt's deadline, for per-message and batch handlers; a panic
// reaches it as an error.
func TestServiceMiddlewareWrapsEveryAttemptOfBothKinds(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	mw := func(name string) message.Middleware {
		return func(next message.Call) message.Call {
			return func(ctx context.Context, msgs []*message.Message) error {
				_, hasDeadline := ctx.Deadline()
				err := next(ctx, msgs)
				mu.Lock()
				trace = append(trace, fmt.Sprintf("%s:%d:%v:%v", name, len(msgs), hasDeadline, err != nil))
				mu.Unlock()
				return err
			}
		}
	}
	var panicked atomic.Bool
	handlers := registry.Empty().Use(mw("all")).
		Add("single", message.HandlerFunc(func(context.Context, *message.Message) error {
			if panicked.CompareAndSwap(false, true) {
				panic("first attempt")
			}
			return nil
		}), mw("own")).
		AddBatch("batch", message.BatchHandlerFunc(func(context.Context, []*message.Message) error { return nil }))
	single := newRig(t, testConfig(nil), registry.Subscription{Handler: "single", Ordering: registry.OrderingPartition, Retry: fastRetry(3)}, handlers)
	single.deliver(messages(0, 1)...)
	batch := newRig(t, testConfig(nil), registry.Subscription{Handler: "batch", Ordering: registry.OrderingPartition, Retry: fastRetry(3),
		Batch: registry.BatchConfig{Size: 5, Linger: time.Second}}, handlers)
	batch.deliver(messages(0, 3)...)
	mu.Lock()
	defer mu.Unlock()
	if got := fmt.Sprint(trace); got != "[own:1:true:true all:1:true:true own:1:true:false all:1:true:false all:3:true:false]" {
		t.Fatalf("middleware saw %s", got)
	}
	if single.outcome(delivery.OutcomeRetried) != 1 || batch.outcome(delivery.OutcomeSuccess) != 3 {
		t.Fatal("outcomes")
	}
	if got := testutil.ToFloat64(single.e.metrics.panics.WithLabelValues("t", "single")); got != 1 {
		t.Fatalf("panics counted %v", got)
	}
}
