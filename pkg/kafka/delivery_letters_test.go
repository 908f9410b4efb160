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
	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestLettersAreBoundedAndStacksGoToTheLog (issue 9, finding 3): a
// panic's stack and a huge error text stay out of the letter — its error
// header is capped — so the letter is the message plus at most 1 KiB; the
// stack is in the error log.
func TestLettersAreBoundedAndStacksGoToTheLog(t *testing.T) {
	value := strings.Repeat("v", 100_000)
	var deep func(n int)
	deep = func(n int) {
		if n == 0 {
			panic("nil map in order 7")
		}
		deep(n - 1)
	}
	handlers := registry.Empty().
		Add("panics", message.HandlerFunc(func(context.Context, *message.Message) error { deep(2000); return nil })).
		Add("verbose", message.HandlerFunc(func(context.Context, *message.Message) error {
			return message.Permanent(errors.New(strings.Repeat("é", 50_000)))
		}))
	for _, tt := range []struct{ handler, wantError string }{
		{"panics", "gave up after 2 attempts: handler panicked: nil map in order 7"},
		{"verbose", "… (cut)"},
	} {
		t.Run(tt.handler, func(t *testing.T) {
			sub := registry.Subscription{Handler: tt.handler, Ordering: registry.OrderingPartition, Retry: fastRetry(2), DeadLetter: registry.DeadLetterConfig{Enabled: true}}
			r := newRig(t, testConfig(nil), sub, handlers)
			m := &message.Message{Topic: "t", Offset: 9, Key: []byte("k"), Value: []byte(value), Headers: []message.Header{{Key: "trace", Value: []byte("abc")}}}
			r.deliver(m)
			letters := r.letters.letters()
			if len(letters) != 1 || r.outcome(delivery.OutcomeDeadLettered) != 1 {
				t.Fatalf("%d letters", len(letters))
			}
			l := letters[0]
			errText, _ := l.Header(dlq.HeaderError)
			if len(errText) > MaxErrorHeader || !strings.Contains(string(errText), tt.wantError) || strings.Contains(string(errText), "goroutine") {
				t.Fatalf("error header of %d bytes: %.200q", len(errText), errText)
			}
			if added := delivery.Size(&l) - delivery.Size(m); added > 1024 {
				t.Fatalf("the letter adds %d bytes to the message", added)
			}
			if tt.handler == "panics" {
				logged := r.logs.FilterMessage("message dead-lettered").All()
				if len(logged) != 1 || !strings.Contains(fmt.Sprint(logged[0].ContextMap()["stack"]), "TestLettersAreBoundedAndStacksGoToTheLog") {
					t.Fatal("the dead-letter log line must carry the panic's stack")
				}
			}
		})
	}
}

// TestLetterOverheadIsAtMostOneKiB: whatever the coordinates and the
// error, a letter adds at most 1 KiB to its message: the longest topic
// names Kafka allows, the largest partition and offset, a huge error.
func TestLetterOverheadIsAtMostOneKiB(t *testing.T) {
	long := strings.Repeat("t", 249)
	m := &message.Message{Topic: long, Partition: 1<<31 - 1, Offset: 1<<63 - 1, Attempts: 1 << 30, Value: []byte("v"),
		FirstFailure: time.Now(), LastFailure: time.Now()}
	cause := errors.New(strings.Repeat("x", 1<<20))
	retry := retryLetter(m, cause, long, time.Now())
	retry.Topic, retry.Partition, retry.Offset = long, 1<<31-1, 1<<63-1
	dead := deadLetter(&retry, cause, long, time.Now())
	for name, l := range map[string]message.Message{"retry letter": retry, "dead letter from the retry topic": dead, "dead letter": deadLetter(m, cause, long, time.Now())} {
		if added := delivery.Size(&l) - delivery.Size(m); added > 1024 {
			t.Errorf("%s adds %d bytes", name, added)
		}
	}
}

// TestRejectedLetterWriteBlocksWithoutCallingTheHandlerAgain (issue 9,
// finding 3): a dead-letter write the broker refuses (too large) is not
// retried in a hot loop, and the handler is not called again: the
// partition is blocked — named, counted, and not a liveness failure, even
// past stall_timeout — and resumes by itself once the write succeeds.
func TestRejectedLetterWriteBlocksWithoutCallingTheHandlerAgain(t *testing.T) {
	var calls atomic.Int32
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error {
		calls.Add(1)
		return message.Permanent(errors.New("poison"))
	}))
	cfg := testConfig(nil)
	cfg.BlockedRetryInterval = 300 * time.Millisecond
	cfg.HandlerTimeout, cfg.StallTimeout = 20*time.Millisecond, 200*time.Millisecond
	sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(3), DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	r := newRig(t, cfg, sub, handlers)
	var mu sync.Mutex
	var writes []time.Time
	r.letters.setFail(func(int, message.Message) error {
		mu.Lock()
		defer mu.Unlock()
		writes = append(writes, time.Now())
		return fmt.Errorf("produce: %w", kafkago.WriteErrors{kafkago.MessageSizeTooLarge})
	})
	m := messages(0, 1)[0]
	wait := r.deliverAsync(m)

	consumertest.Eventually(t, "two rejected writes", func() bool { mu.Lock(); defer mu.Unlock(); return len(writes) >= 2 })
	mu.Lock()
	gap := writes[1].Sub(writes[0])
	mu.Unlock()
	if gap < cfg.BlockedRetryInterval {
		t.Fatalf("a rejected write was tried again after %s; want blocked_retry_interval %s", gap, cfg.BlockedRetryInterval)
	}
	if b := r.blocked(); b == nil || b.reason != blockedDeadLetterRejected || b.offset != 0 {
		t.Fatalf("blocked state %+v", b)
	}
	consumertest.Eventually(t, "the commit point held past stall_timeout", func() bool {
		h, ok := r.p.holding(time.Now())
		return ok && h.held > cfg.StallTimeout
	})
	if err := r.e.Live(); err != nil {
		t.Fatalf("a blocked partition failed liveness: %v", err)
	}
	if err := r.e.Blocked(); err == nil || !strings.Contains(err.Error(), "t/0 blocked at offset 0") || !strings.Contains(err.Error(), "dead_letter_rejected") {
		t.Fatalf("Blocked() = %v", err)
	}
	if v, _ := gauge(t, r.reg, "kafka_consumer_partition_blocked", map[string]string{"topic": "t", "partition": "0", "reason": blockedDeadLetterRejected}); v != 1 {
		t.Fatalf("kafka_consumer_partition_blocked = %v", v)
	}
	if st := r.e.State(); len(st.Partitions) != 1 || st.Partitions[0].Blocked == nil || st.Partitions[0].Blocked.Reason != blockedDeadLetterRejected {
		t.Fatalf("state does not show the block: %+v", st)
	}
	if calls.Load() != 1 || m.Attempts != 1 {
		t.Fatalf("handler called %d times, attempts %d: a failed letter write must not call the handler again", calls.Load(), m.Attempts)
	}

	r.letters.setFail(nil) // the operator raised the topic's limit
	wait()
	if r.outcome(delivery.OutcomeDeadLettered) != 1 || r.blocked() != nil || r.committable() != 1 {
		t.Fatalf("after the fix: dead_lettered %d, blocked %+v, committable %d", r.outcome(delivery.OutcomeDeadLettered), r.blocked(), r.committable())
	}
	if v, _ := gauge(t, r.reg, "kafka_consumer_partition_blocked", map[string]string{"reason": blockedDeadLetterRejected}); v != 0 {
		t.Fatalf("kafka_consumer_partition_blocked = %v after the fix", v)
	}
	if got := testutil.ToFloat64(r.e.metrics.deadLetterErrs.WithLabelValues("t")); got < 2 {
		t.Fatalf("dead-letter write errors counted %v", got)
	}
	if r.logs.FilterMessage("partition blocked: a letter cannot be written, so the message cannot be committed").Len() < 1 ||
		r.logs.FilterMessage("partition unblocked: letter written").Len() != 1 {
		t.Fatalf("logs: %v", r.logs.All())
	}
}

// TestUnavailableLetterTopicBacksOffAndResumes: a write that fails for a
// passing reason is retried with backoff, the partition blocked as
// unavailable meanwhile; the handler runs once.
func TestUnavailableLetterTopicBacksOffAndResumes(t *testing.T) {
	var calls atomic.Int32
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error {
		calls.Add(1)
		return message.Permanent(errors.New("poison"))
	}))
	sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(3),
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Rounds: 1, Delay: time.Second}, DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	r := newRig(t, testConfig(nil), sub, handlers)
	seen := r.failLetters(3, kafkago.LeaderNotAvailable)
	r.deliver(messages(0, 1)...)
	if b := seen(); b == nil || b.reason != blockedDeadLetterUnavailable || b.failures != 3 {
		t.Fatalf("blocked state before the write succeeded: %+v", b)
	}
	if calls.Load() != 1 || r.outcome(delivery.OutcomeDeadLettered) != 1 || r.blocked() != nil {
		t.Fatalf("calls %d dead_lettered %d blocked %+v", calls.Load(), r.outcome(delivery.OutcomeDeadLettered), r.blocked())
	}
	// Three failures within blocked_retry_interval (1m): one error line.
	if n := r.logs.FilterMessage("partition blocked: a letter cannot be written, so the message cannot be committed").Len(); n != 1 {
		t.Fatalf("%d error lines for 3 failed writes within blocked_retry_interval, want 1", n)
	}
}

// TestFailedRetryTopicWritesAreCountedAndBlock (issue 9, finding 6): a
// retry-topic write that fails is counted in its own metric and blocks the
// partition with its own reason, like a dead-letter write.
func TestFailedRetryTopicWritesAreCountedAndBlock(t *testing.T) {
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return errBusy }))
	sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(2),
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Rounds: 1, Delay: time.Second}}
	r := newRig(t, testConfig(nil), sub, handlers)
	seen := r.failLetters(2, kafkago.NotLeaderForPartition)
	r.deliver(messages(0, 1)...)
	if got := testutil.ToFloat64(r.e.metrics.retryTopicErrs.WithLabelValues("t")); got != 2 {
		t.Fatalf("kafka_consumer_retry_topic_errors_total = %v, want 2", got)
	}
	if b := seen(); b == nil || b.reason != blockedRetryTopicUnavailable {
		t.Fatalf("blocked state %+v", b)
	}
	if r.outcome(delivery.OutcomeRescheduled) != 1 {
		t.Fatalf("rescheduled %d", r.outcome(delivery.OutcomeRescheduled))
	}
}

// TestRetryTopicLettersKeepTheOriginAndItsDeadLettersReplayThere (issue
// 9, finding 6): a message rescheduled to the retry topic carries where it
// was first consumed; when it finally fails there, its dead letter names
// that origin — not the retry topic — and carries no retry.* headers, so a
// replay sends it back to the source to start afresh.
func TestRetryTopicLettersKeepTheOriginAndItsDeadLettersReplayThere(t *testing.T) {
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return errBusy }))
	sub := registry.Subscription{Topic: "orders", Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(2),
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Rounds: 1, Delay: time.Second}, DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	main := newRig(t, testConfig(nil), sub, handlers)
	main.deliver(&message.Message{Topic: "orders", Partition: 0, Offset: 5, Value: []byte("x")})
	retries := main.letters.letters()
	if len(retries) != 1 || retries[0].Topic != "orders.retry" || main.outcome(delivery.OutcomeRescheduled) != 1 {
		t.Fatalf("retry letters %v", retries)
	}
	for k, want := range map[string]string{HeaderRetryTopic: "orders", HeaderRetryPartition: "0", HeaderRetryOffset: "5", HeaderRetryRound: "1"} {
		if v, _ := retries[0].Header(k); string(v) != want {
			t.Errorf("retry letter %s = %q, want %q", k, v, want)
		}
	}

	// The same message as consumed from the retry topic, in its last round.
	onRetry := newRigOn(t, testConfig(nil), sub, handlers, "orders.retry")
	consumed := retries[0]
	consumed.Topic, consumed.Partition, consumed.Offset = "orders.retry", 0, 11
	onRetry.deliver(&consumed)
	letters := onRetry.letters.letters()
	if len(letters) != 1 || letters[0].Topic != "orders.dlq" || onRetry.outcome(delivery.OutcomeDeadLettered) != 1 {
		t.Fatalf("letters from the retry topic %v", letters)
	}
	for k, want := range map[string]string{dlq.HeaderTopic: "orders", dlq.HeaderPartition: "0", dlq.HeaderOffset: "5"} {
		if v, _ := letters[0].Header(k); string(v) != want {
			t.Errorf("dead letter %s = %q, want %q (the origin)", k, v, want)
		}
	}
	for _, h := range letters[0].Headers {
		if strings.HasPrefix(h.Key, "retry.") {
			t.Errorf("dead letter keeps %s: a replay would skip its remaining rounds", h.Key)
		}
	}
}
