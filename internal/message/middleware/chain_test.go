package middleware

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/internal/message"
)

const hangGuard = 10 * time.Second

type fakePublisher struct {
	mu  sync.Mutex
	got []message.Message
	err error
}

func (f *fakePublisher) Publish(_ context.Context, msgs ...message.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.got = append(f.got, msgs...)
	return nil
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) Observe(float64) { c.mu.Lock(); c.n++; c.mu.Unlock() }

func fastPolicy(attempts int) RetryPolicy {
	return RetryPolicy{MaxAttempts: attempts, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
}

func newChain(t *testing.T, h message.Handler, pub *fakePublisher, o Options) (message.Handler, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	o.Log = zap.New(core)
	if pub != nil {
		o.DeadLetter = NewDeadLetterer(pub, func(topic string) string { return topic + ".dlq" })
	}
	return Default(h, o), logs
}

// TestDefaultChainRetriesPanicsAndTimesEachAttempt: with Recover innermost,
// a panic on the first attempt is retried and succeeds on the second; each
// attempt is timed, the panic counted, and the success logged once.
func TestDefaultChainRetriesPanicsAndTimesEachAttempt(t *testing.T) {
	panics, durations := 0, &counter{}
	calls := 0
	h := message.HandlerFunc(func(context.Context, *message.Message) error {
		calls++
		if calls == 1 {
			panic("first attempt explodes")
		}
		return nil
	})
	chain, logs := newChain(t, h, &fakePublisher{}, Options{Retry: fastPolicy(3), Duration: durations, OnPanic: func() { panics++ }})
	m := &message.Message{Topic: "orders"}
	if err := chain.Handle(context.Background(), m); err != nil {
		t.Fatalf("chain returned %v", err)
	}
	if m.Attempts != 2 || panics != 1 || durations.n != 2 || m.FirstFailure.IsZero() {
		t.Fatalf("attempts %d panics %d timed %d first failure %v", m.Attempts, panics, durations.n, m.FirstFailure)
	}
	if logs.FilterMessage("message handled after retries").Len() != 1 || logs.Len() != 1 {
		t.Fatalf("want exactly one log line, got %v", logs.All())
	}
}

// TestDefaultChainDeadLettersWithReasonHeaders: a permanent failure skips
// retries and is written to the dead-letter topic with the original
// coordinates, the error, the attempts and the failure times.
func TestDefaultChainDeadLettersWithReasonHeaders(t *testing.T) {
	pub := &fakePublisher{}
	calls := 0
	h := message.HandlerFunc(func(context.Context, *message.Message) error {
		calls++
		return message.Permanent(errors.New("malformed order"))
	})
	chain, _ := newChain(t, h, pub, Options{Retry: fastPolicy(5)})
	m := &message.Message{Topic: "orders", Partition: 3, Offset: 42, Key: []byte("c-1"), Value: []byte("{"),
		Headers: []message.Header{{Key: "trace", Value: []byte("abc")}}}
	err := chain.Handle(context.Background(), m)
	if !message.IsDeadLettered(err) || calls != 1 {
		t.Fatalf("err %v after %d calls; a permanent error is dead-lettered without retries", err, calls)
	}
	if len(pub.got) != 1 {
		t.Fatalf("published %d dead letters", len(pub.got))
	}
	dl := pub.got[0]
	want := map[string]string{HeaderTopic: "orders", HeaderPartition: "3", HeaderOffset: "42", HeaderError: "malformed order", HeaderAttempts: "1", "trace": "abc"}
	for k, v := range want {
		if got, ok := dl.Header(k); !ok || string(got) != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{HeaderFirstFailure, HeaderLastFailure} {
		v, _ := dl.Header(k)
		if _, err := time.Parse(time.RFC3339Nano, string(v)); err != nil {
			t.Errorf("header %s = %q is not RFC 3339", k, v)
		}
	}
	if dl.Topic != "orders.dlq" || string(dl.Key) != "c-1" || string(dl.Value) != "{" {
		t.Fatalf("dead letter %s %q %q", dl.Topic, dl.Key, dl.Value)
	}
}

// TestExhaustedRetriesAreDeadLetteredAndFailedWritesAreNot: transient
// failures use up MaxAttempts, then the message is dead-lettered; if the
// dead-letter write fails, the chain returns a retryable error, never a
// success or a permanent one, so the message is not committed.
func TestExhaustedRetriesAreDeadLetteredAndFailedWritesAreNot(t *testing.T) {
	h := message.HandlerFunc(func(context.Context, *message.Message) error { return errors.New("downstream busy") })
	pub := &fakePublisher{}
	chain, _ := newChain(t, h, pub, Options{Retry: fastPolicy(3)})
	m := &message.Message{Topic: "t"}
	if err := chain.Handle(context.Background(), m); !message.IsDeadLettered(err) || m.Attempts != 3 {
		t.Fatalf("err %v attempts %d", err, m.Attempts)
	}
	if v, _ := pub.got[0].Header(HeaderAttempts); string(v) != "3" {
		t.Fatalf("attempts header %q", v)
	}

	down := &fakePublisher{err: errors.New("dead-letter topic unavailable")}
	chain, _ = newChain(t, h, down, Options{Retry: fastPolicy(2)})
	err := chain.Handle(context.Background(), &message.Message{Topic: "t"})
	if err == nil || message.IsDeadLettered(err) || message.IsPermanent(err) {
		t.Fatalf("a failed dead-letter write must stay retryable, got %v", err)
	}
}

// TestRetryBackoffStopsAtOnceWhenPartitionStops: a backoff of an hour ends
// as soon as the stopping channel closes (Spring Kafka issue 1480), and the
// error stays retryable so the message is redelivered.
func TestRetryBackoffStopsAtOnceWhenPartitionStops(t *testing.T) {
	stopping := make(chan struct{})
	ctx := message.WithStopping(context.Background(), stopping)
	h := message.HandlerFunc(func(context.Context, *message.Message) error { return errors.New("busy") })
	chain := Retry(RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Hour, MaxBackoff: time.Hour})(h)
	done := make(chan error, 1)
	m := &message.Message{}
	go func() { done <- chain.Handle(ctx, m) }()
	close(stopping)
	select {
	case err := <-done:
		if err == nil || message.IsPermanent(err) || m.Attempts != 1 {
			t.Fatalf("err %v attempts %d", err, m.Attempts)
		}
	case <-time.After(hangGuard):
		t.Fatal("backoff did not stop when the partition started stopping")
	}
}

func TestTimeoutBoundsEachAttempt(t *testing.T) {
	calls := 0
	h := message.HandlerFunc(func(ctx context.Context, _ *message.Message) error {
		calls++
		if calls == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	chain, _ := newChain(t, h, nil, Options{Retry: fastPolicy(2), AttemptTimeout: 20 * time.Millisecond})
	m := &message.Message{}
	if err := chain.Handle(context.Background(), m); err != nil || m.Attempts != 2 {
		t.Fatalf("err %v attempts %d: the second attempt gets a fresh deadline", err, m.Attempts)
	}
}

func TestRetryPolicyDelayAndValidate(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt := 1; attempt < 40; attempt++ {
		ceiling := min(p.InitialBackoff<<min(attempt-1, 30), p.MaxBackoff)
		if d := p.Delay(attempt); d < ceiling/2 || d > ceiling {
			t.Fatalf("attempt %d: %s", attempt, d)
		}
	}
	if errs := (RetryPolicy{}).Validate("x.retry"); len(errs) != 2 {
		t.Fatalf("want 2 problems, got %v", errs)
	}
	if errs := DefaultRetryPolicy().Validate("x"); len(errs) != 0 {
		t.Fatal(errs)
	}
}

// TestExhaustedMessagesGoToTheRetryTopicNotTheDeadLetterTopic: with a
// retry topic, used-up retries reschedule (and nothing is dead-lettered)
// until the last round; a handler's own permanent error is never
// rescheduled.
func TestExhaustedMessagesGoToTheRetryTopicNotTheDeadLetterTopic(t *testing.T) {
	busy := message.HandlerFunc(func(context.Context, *message.Message) error { return errors.New("busy") })
	dlq, retries := &fakePublisher{}, &fakePublisher{}
	o := Options{Retry: fastPolicy(2), RetryTopic: NewRetryTopicer(retries, "orders.retry", time.Second, 2)}
	chain, _ := newChain(t, busy, dlq, o)
	m := &message.Message{Topic: "orders", Offset: 7}
	if err := chain.Handle(context.Background(), m); !message.IsRescheduled(err) || message.IsDeadLettered(err) {
		t.Fatalf("round 0: %v", err)
	}
	if len(retries.got) != 1 || len(dlq.got) != 0 || Round(&retries.got[0]) != 1 {
		t.Fatalf("retry writes %d, dead letters %d", len(retries.got), len(dlq.got))
	}
	if due, ok := Due(&retries.got[0]); !ok || due.Before(time.Now()) {
		t.Fatalf("due %v %v", due, ok)
	}
	last := retries.got[0]
	last.Headers = append(last.Headers[:0:0], last.Headers...)
	last.Headers[len(last.Headers)-4] = message.Header{Key: HeaderRetryRound, Value: []byte("2")}
	if err := chain.Handle(context.Background(), &last); !message.IsDeadLettered(err) {
		t.Fatalf("after the last round: %v, want dead-lettered", err)
	}
	poison := message.HandlerFunc(func(context.Context, *message.Message) error { return message.Permanent(errors.New("bad input")) })
	chain, _ = newChain(t, poison, dlq, o)
	if err := chain.Handle(context.Background(), &message.Message{Topic: "orders"}); !message.IsDeadLettered(err) || len(retries.got) != 1 {
		t.Fatalf("a permanent error must go straight to the dead-letter topic: %v", err)
	}
}
