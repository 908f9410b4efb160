package handlertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// moody handles a message by its value: "ok" succeeds, "flaky" fails its
// first attempt only, "bad" is permanently wrong, "down" always fails,
// "boom" panics.
func moody() message.Handler {
	return message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		switch string(m.Value) {
		case "flaky":
			if m.Attempts == 1 {
				return errors.New("timeout")
			}
		case "bad":
			return message.Permanent(errors.New("bad input"))
		case "down":
			return errors.New("downstream down")
		case "boom":
			panic("boom")
		}
		return nil
	})
}

// TestRunRecordsTheEnginesOutcomeOfEachMessage: each message comes back
// with the outcome the engine decided, the calls it took and, when it
// was given up, its dead letter with the reason — a permanent error at
// once, a transient one after max_attempts, a panic like any error.
func TestRunRecordsTheEnginesOutcomeOfEachMessage(t *testing.T) {
	res := New(registry.Handler("moody", moody())).Subscription(fast(3)).Run(t, values("ok", "flaky", "bad", "down", "boom")...)

	type want struct {
		outcome  Outcome
		attempts int
		reason   string // of the dead letter; "" for none
	}
	wants := []want{
		{Success, 1, ""},
		{Retried, 2, ""},
		{DeadLettered, 1, "bad input"},
		{DeadLettered, 3, "gave up after 3 attempts: downstream down"},
		{DeadLettered, 3, "gave up after 3 attempts: handler panicked: boom"},
	}
	if len(res.Deliveries) != len(wants) {
		t.Fatalf("%d deliveries for %d messages", len(res.Deliveries), len(wants))
	}
	for i, w := range wants {
		d := res.Deliveries[i]
		reason := ""
		if d.Letter != nil {
			reason = d.Letter.Reason
			if d.Letter.Topic != "orders.dlq" || string(d.Letter.Message.Value) != string(d.Message.Value) {
				t.Errorf("message %d: letter to %s with value %q, want orders.dlq with the message's value", i, d.Letter.Topic, d.Letter.Message.Value)
			}
		}
		if d.Outcome != w.outcome || d.Attempts != w.attempts || reason != w.reason {
			t.Errorf("message %d (%s): %s after %d attempts, reason %q; want %s after %d, reason %q",
				i, d.Message.Value, d.Outcome, d.Attempts, reason, w.outcome, w.attempts, w.reason)
		}
		if d.Message.Topic != "orders" || d.Message.Offset != int64(i) {
			t.Errorf("message %d seen as %s@%d, want orders@%d", i, d.Message.Topic, d.Message.Offset, i)
		}
		if (d.Err == nil) != (w.reason == "") {
			t.Errorf("message %d: Err %v", i, d.Err)
		}
	}
	var pe *lifecycle.PanicError
	if !errors.As(res.Deliveries[4].Err, &pe) || !strings.Contains(string(pe.Stack), "run_test.go") {
		t.Errorf("a panic's Err must be a PanicError with the handler's stack: %v", res.Deliveries[4].Err)
	}
	if got := len(res.DeadLetters()); got != 3 {
		t.Errorf("%d dead letters, want 3", got)
	}
}

// TestRunWithoutADeadLetterTopicFailsTheMessage: with no dead-letter
// topic a message that finally fails is failed, with its error and no
// letter.
func TestRunWithoutADeadLetterTopicFailsTheMessage(t *testing.T) {
	sub := fast(2)
	sub.DeadLetter.Enabled = false
	res := New(registry.Handler("moody", moody())).Subscription(sub).Run(t, values("down", "ok")...)
	if got := res.Outcomes(); !slices.Equal(got, []Outcome{Failed, Success}) {
		t.Fatalf("outcomes %v, want [failed success]", got)
	}
	if d := res.Deliveries[0]; d.Letter != nil || d.Err == nil || d.Err.Error() != "downstream down" || d.Attempts != 2 {
		t.Fatalf("failed message: letter %v, err %v, attempts %d", d.Letter, d.Err, d.Attempts)
	}
}

// TestRunSettlesABatchMessageByMessage: a batch handler's BatchError fails
// only the messages it names; the engine retries those alone and settles
// each by its own error.
func TestRunSettlesABatchMessageByMessage(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	h := message.BatchHandlerFunc(func(_ context.Context, msgs []*message.Message) error {
		mu.Lock()
		sizes = append(sizes, len(msgs))
		mu.Unlock()
		failed := map[int]error{}
		for i, m := range msgs {
			switch {
			case string(m.Value) == "bad":
				failed[i] = message.Permanent(errors.New("bad input"))
			case string(m.Value) == "flaky" && m.Attempts == 1:
				failed[i] = errors.New("timeout")
			}
		}
		if len(failed) == 0 {
			return nil
		}
		return &message.BatchError{Failed: failed}
	})
	sub := fast(3)
	sub.Batch = registry.BatchConfig{Size: 4, Linger: time.Second}
	res := New(registry.Batch("sink", h)).Subscription(sub).Run(t, values("ok", "bad", "flaky", "ok")...)
	want := []Outcome{Success, DeadLettered, Retried, Success}
	if got := res.Outcomes(); !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	for i, d := range res.Deliveries {
		if wantErr := i == 1; (d.Err != nil) != wantErr || (wantErr && d.Err.Error() != "bad input") {
			t.Errorf("message %d (%s): Err %v; only the bad one has its own error", i, d.Message.Value, d.Err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(sizes, []int{4, 1}) {
		t.Fatalf("batch calls of %v messages, want [4 1]: one batch, then the flaky message alone", sizes)
	}
}

// TestRunUsesTheServiceMiddlewareOutsideTheHandlersOwnOnEveryAttempt: the
// chain is the engine's — service middleware, then the handler's own —
// called once per attempt.
func TestRunUsesTheServiceMiddlewareOutsideTheHandlersOwnOnEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	trace := func(name string) message.Middleware {
		return func(next message.Call) message.Call {
			return func(ctx context.Context, msgs []*message.Message) error {
				mu.Lock()
				seen = append(seen, fmt.Sprintf("%s:%s#%d", name, msgs[0].Value, msgs[0].Attempts))
				mu.Unlock()
				return next(ctx, msgs)
			}
		}
	}
	reg := registry.Handler("moody", moody()).Use(trace("own"))
	New(reg).Use(trace("service")).Subscription(fast(3)).Run(t, values("flaky")...)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"service:flaky#1", "own:flaky#1", "service:flaky#2", "own:flaky#2"}
	if !slices.Equal(seen, want) {
		t.Fatalf("middleware saw %v, want %v", seen, want)
	}
}

// TestRunReschedulesToTheRetryTopic: with a retry topic, a message whose
// attempts are used up is rescheduled there with its reason; Run does not
// consume the retry topic.
func TestRunReschedulesToTheRetryTopic(t *testing.T) {
	sub := fast(2)
	sub.RetryTopic = registry.RetryTopicConfig{Enabled: true, Delay: time.Second, Rounds: 2}
	res := New(registry.Handler("moody", moody())).Subscription(sub).Run(t, values("down", "bad")...)
	d := res.Deliveries[0]
	if d.Outcome != Rescheduled || d.Letter == nil || d.Letter.Topic != "orders.retry" ||
		d.Letter.Reason != "gave up after 2 attempts: downstream down" {
		t.Fatalf("got %s, letter %+v; want rescheduled to orders.retry with the reason", d.Outcome, d.Letter)
	}
	if d := res.Deliveries[1]; d.Outcome != DeadLettered {
		t.Fatalf("a permanent error is %s, want dead_lettered: it skips the retry topic", d.Outcome)
	}
}

// TestRunUsesTheRegistrationsSubscription: without Subscription, Run uses
// the handler's declared default subscription.
func TestRunUsesTheRegistrationsSubscription(t *testing.T) {
	sub := fast(1)
	sub.Topic = "payments"
	res := Run(t, registry.Handler("moody", moody(), sub), values("down")...)
	if d := res.Deliveries[0]; d.Message.Topic != "payments" || d.Attempts != 1 || d.Letter == nil || d.Letter.Topic != "payments.dlq" {
		t.Fatalf("ran on %s with %d attempts, letter %+v; want the declared subscription: payments, 1 attempt, payments.dlq", d.Message.Topic, d.Attempts, d.Letter)
	}
}

// TestRunTakesNoRealTimeInASynctestBubble: backoffs and deadlines run on
// the bubble's clock, so the default retry policy and long backoffs cost
// a test nothing.
func TestRunTakesNoRealTimeInASynctestBubble(t *testing.T) {
	const backoff = 10 * time.Second
	start := time.Now()
	synctest.Test(t, func(t *testing.T) {
		sub := registry.Subscription{Topic: "orders", HandlerTimeout: time.Second,
			Retry:      registry.RetryPolicy{MaxAttempts: 4, InitialBackoff: backoff, MaxBackoff: backoff},
			DeadLetter: registry.DeadLetterConfig{Enabled: true}, Ordering: registry.OrderingPartition}
		slow := message.HandlerFunc(func(ctx context.Context, _ *message.Message) error {
			<-ctx.Done() // every attempt runs into its deadline
			return ctx.Err()
		})
		bubbleStart := time.Now()
		res := New(registry.Handler("slow", slow)).Subscription(sub).Run(t, values("x")...)
		if d := res.Deliveries[0]; d.Outcome != DeadLettered || d.Attempts != 4 {
			t.Fatalf("%s after %d attempts, want dead_lettered after 4", d.Outcome, d.Attempts)
		}
		// 4 deadlines of 1s, and 3 backoffs drawn from the upper half of 10s.
		if took, least := time.Since(bubbleStart), 4*time.Second+3*backoff/2; took < least {
			t.Fatalf("%s on the bubble's clock, want at least %s", took, least)
		}
	})
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("took %s of real time; 34s of backoffs and deadlines should take none", took)
	}
}

// TestRunMakesUpASubscriptionWhenNoneIsDeclared: a handler declared
// without subscriptions runs on DefaultTopic with a dead-letter topic; a
// batch handler gets every message in one batch.
func TestRunMakesUpASubscriptionWhenNoneIsDeclared(t *testing.T) {
	res := Run(t, registry.Handler("moody", moody()), values("bad")...)
	if d := res.Deliveries[0]; d.Message.Topic != DefaultTopic || d.Letter == nil || d.Letter.Topic != DefaultTopic+".dlq" {
		t.Fatalf("ran on %s, letter %+v; want %s and its dead-letter topic", d.Message.Topic, d.Letter, DefaultTopic)
	}
	var sizes []int
	batch := message.BatchHandlerFunc(func(_ context.Context, msgs []*message.Message) error {
		sizes = append(sizes, len(msgs))
		return nil
	})
	res = Run(t, registry.Batch("sink", batch), values("a", "b", "c")...)
	if !slices.Equal(res.Outcomes(), []Outcome{Success, Success, Success}) || !slices.Equal(sizes, []int{3}) {
		t.Fatalf("outcomes %v in batches of %v, want 3 successes in one batch of 3", res.Outcomes(), sizes)
	}
}

// TestRunRecordsAPanicThatEscapesTheServiceMiddleware: a panic in the
// service's middleware, outside the framework's Recover, is recovered by
// the engine like a handler's, and reported as that message's error.
func TestRunRecordsAPanicThatEscapesTheServiceMiddleware(t *testing.T) {
	explode := func(message.Call) message.Call {
		return func(context.Context, []*message.Message) error { panic("middleware boom") }
	}
	res := New(registry.Handler("moody", moody())).Use(explode).Subscription(fast(2)).Run(t, values("ok")...)
	d := res.Deliveries[0]
	var pe *lifecycle.PanicError
	if d.Outcome != DeadLettered || d.Attempts != 2 || !errors.As(d.Err, &pe) || pe.Value != "middleware boom" {
		t.Fatalf("%s after %d attempts, Err %v; want dead_lettered after 2 with the panic", d.Outcome, d.Attempts, d.Err)
	}
}

// TestOutcomesNameEveryEngineOutcome: the kit's outcome names are the
// engine's, every one of them.
func TestOutcomesNameEveryEngineOutcome(t *testing.T) {
	ours := []Outcome{Success, Retried, DeadLettered, Failed, Rescheduled}
	for _, o := range delivery.Outcomes() {
		if !slices.Contains(ours, Outcome(o)) {
			t.Errorf("the engine records %q, which handlertest does not name", o)
		}
	}
	if len(ours) != len(delivery.Outcomes()) {
		t.Errorf("handlertest names %d outcomes, the engine %d", len(ours), len(delivery.Outcomes()))
	}
}
