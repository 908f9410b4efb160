//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// readAll returns every message of topic, from the first offset to the end.
func (b *testBroker) readAll(topic string, partitions int) []kafkago.Message {
	b.t.Helper()
	_, end := b.committedAndEnd("none", topic, partitions)
	var out []kafkago.Message
	for p := range partitions {
		if end[p] == 0 {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: b.addrs, Topic: topic, Partition: p, MaxWait: time.Second, MaxBytes: 4 << 20})
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				b.t.Fatalf("read %s/%d: %v", topic, p, err)
			}
			out = append(out, m)
			if m.Offset >= end[p]-1 {
				break
			}
		}
		cancel()
		_ = r.Close()
	}
	return out
}

func headerOf(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// failureLedger is what TestLedgerFailures produces and checks: each id's
// class decides how the handler treats it.
type failureLedger struct {
	total int
	mu    sync.Mutex
	seen  map[int]int // calls that included the id
	done  map[int]bool
}

const oversizedValue = 1_046_000 // with its key and record overhead, just under a default message.max.bytes (1,048,588)

func (l *failureLedger) poison(id int) bool    { return id%100 == 0 }
func (l *failureLedger) oversized(id int) bool { return id%1000 == 503 }
func (l *failureLedger) transient(id int) bool { return id%20 == 1 }
func (l *failureLedger) panics(id int) bool    { return id%1000 == 7 }
func (l *failureLedger) timeout(id int) bool   { return id%200 == 13 }

// value is id's payload: "id:" and, for an oversized id, incompressible
// bytes up to oversizedValue, so that compression cannot hide its size.
func (l *failureLedger) value(id int) string {
	v := strconv.Itoa(id) + ":"
	if l.oversized(id) {
		pad := make([]byte, oversizedValue-len(v))
		r := rand.NewChaCha8([32]byte{byte(id), byte(id >> 8)})
		_, _ = r.Read(pad)
		v += string(pad)
	}
	return v
}

func idOf(m *message.Message) int {
	s, _, _ := strings.Cut(string(m.Value[:min(len(m.Value), 20)]), ":")
	id, _ := strconv.Atoi(s)
	return id
}

// sight counts a call that includes m and returns how many there were.
func (l *failureLedger) sight(m *message.Message) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[idOf(m)]++
	return l.seen[idOf(m)]
}

func (l *failureLedger) handled(m *message.Message) {
	l.mu.Lock()
	l.done[idOf(m)] = true
	l.mu.Unlock()
}

// deepPanic panics with v from n frames down: a panic with a deep stack.
func deepPanic(n int, v any) {
	if n == 0 {
		panic(v)
	}
	deepPanic(n-1, v)
}

// handle is the per-message handler: poison fails permanently, an
// oversized message panics with a deep stack on every attempt (so it is
// dead-lettered after max_attempts), transient and panicking ids fail
// their first attempt, timeout ids run into the deadline on theirs.
func (l *failureLedger) handle(ctx context.Context, m *message.Message) error {
	id, n := idOf(m), l.sight(m)
	switch {
	case l.poison(id):
		return message.Permanent(fmt.Errorf("poison order %d", id))
	case l.oversized(id):
		deepPanic(300, fmt.Sprintf("oversized order %d", id))
	case l.transient(id) && n == 1:
		return errors.New("downstream busy")
	case l.panics(id) && n == 1:
		panic(fmt.Sprintf("nil map in order %d", id))
	case l.timeout(id) && n == 1:
		<-ctx.Done()
		return ctx.Err()
	}
	l.handled(m)
	return nil
}

// handleBatch is the batch handler: a panicking or timing-out id fails
// its whole batch's first call; poison and oversized ids fail alone,
// permanently (an oversized one with an error text far beyond any header
// limit); transient ids fail alone on their first call.
func (l *failureLedger) handleBatch(ctx context.Context, msgs []*message.Message) error {
	sightings := make([]int, len(msgs))
	for i, m := range msgs {
		sightings[i] = l.sight(m)
	}
	failed := map[int]error{}
	for i, m := range msgs {
		id := idOf(m)
		switch {
		case l.panics(id) && sightings[i] == 1:
			panic(fmt.Sprintf("nil map in order %d", id))
		case l.timeout(id) && sightings[i] == 1:
			<-ctx.Done()
			return ctx.Err()
		case l.poison(id):
			failed[i] = message.Permanent(fmt.Errorf("poison order %d", id))
		case l.oversized(id):
			failed[i] = message.Permanent(fmt.Errorf("oversized order %d: %s", id, strings.Repeat("dump ", 20_000)))
		case l.transient(id) && sightings[i] == 1:
			failed[i] = errors.New("downstream busy")
		}
	}
	for i, m := range msgs {
		if _, bad := failed[i]; !bad {
			l.handled(m)
		}
	}
	if len(failed) > 0 {
		return &message.BatchError{Failed: failed}
	}
	return nil
}

// TestLedgerFailures (issue 9): 1% poison, 5% transient errors, 0.1%
// panics, 0.5% attempts that run into the handler deadline and 0.1%
// poison messages near message.max.bytes whose handler panics with a deep
// stack (per-message) or fails with a huge error text (batch), through
// per-message handlers in partition, key and none ordering and a batch
// handler. Every id ends in exactly one outcome: the dead-letter topic
// holds exactly the poison and oversized ids, once each, with their reason
// headers (and a bounded error text); every other id is processed; the
// commit point reaches the end of every partition; nothing is blocked or
// stalled; and fetched = outcomes + released.
func TestLedgerFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		sub   registry.Subscription
		batch bool
	}{
		{name: "partition", sub: registry.Subscription{Ordering: registry.OrderingPartition}},
		{name: "key", sub: registry.Subscription{Ordering: registry.OrderingKey, Workers: 8}},
		{name: "none", sub: registry.Subscription{Ordering: registry.OrderingNone, Workers: 8}},
		{name: "batch", sub: registry.Subscription{Ordering: registry.OrderingPartition, Batch: registry.BatchConfig{Size: 50, Linger: 50 * time.Millisecond}}, batch: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const total, partitions = 5000, 4
			l := &failureLedger{total: total, seen: map[int]int{}, done: map[int]bool{}}
			b := newTestBroker(t)
			topic := b.createTopic("failures-"+tt.name, partitions)
			dlq := topic + ".dlq"
			b.createExactTopic(dlq, partitions)

			handlers := registry.Empty()
			if tt.batch {
				handlers.AddBatch("h", message.BatchHandlerFunc(l.handleBatch))
			} else {
				handlers.Add("h", message.HandlerFunc(l.handle))
			}
			sub := tt.sub
			sub.Topic, sub.Handler = topic, "h"
			sub.Retry = registry.RetryPolicy{MaxAttempts: 3, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
			sub.DeadLetter = registry.DeadLetterConfig{Enabled: true, Topic: dlq}
			cfg := testConfig([]registry.Subscription{sub})
			cfg.HandlerTimeout = 200 * time.Millisecond
			e := b.startEngine(cfg, handlers)
			b.produceValues(topic, total, func(i int) (string, string) { return "k" + strconv.Itoa(i%31), l.value(i) })

			var poison, retried int
			for id := range total {
				switch {
				case l.poison(id), l.oversized(id):
					poison++
				case l.transient(id), l.panics(id), l.timeout(id):
					retried++
				}
			}
			count := func(o delivery.Outcome) int { return outcomes(e, topic, "h", o) }
			waitFor(t, "every outcome", func() bool {
				return count(delivery.OutcomeSuccess)+count(delivery.OutcomeRetried)+count(delivery.OutcomeDeadLettered) == total
			})
			waitFor(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, partitions))
			if got := count(delivery.OutcomeDeadLettered); got != poison {
				t.Errorf("dead_lettered %d, want %d", got, poison)
			}
			if got := count(delivery.OutcomeFailed) + count(delivery.OutcomeRescheduled); got != 0 {
				t.Errorf("failed or rescheduled %d, want 0", got)
			}
			if got := count(delivery.OutcomeRetried); !tt.batch && got != retried {
				// In a batch, a panic or a timeout fails every message of its
				// call, so more than these are retried.
				t.Errorf("retried %d, want %d", got, retried)
			}
			if err := e.Live(); err != nil {
				t.Errorf("liveness: %v", err)
			}
			if err := e.Blocked(); err != nil {
				t.Errorf("blocked: %v", err)
			}
			l.mu.Lock()
			for id := range total {
				if !l.poison(id) && !l.oversized(id) && !l.done[id] {
					t.Fatalf("id %d never processed", id)
				}
			}
			l.mu.Unlock()

			seen := map[int]bool{}
			for _, m := range b.readAll(dlq, partitions) {
				id := idOf(&message.Message{Value: m.Value})
				if !(l.poison(id) || l.oversized(id)) || seen[id] {
					t.Fatalf("dead-letter topic holds %d (poison: %v, again: %v)", id, l.poison(id) || l.oversized(id), seen[id])
				}
				seen[id] = true
				reason := headerOf(m, HeaderError)
				if headerOf(m, HeaderTopic) != topic || headerOf(m, HeaderOffset) == "" || len(reason) > MaxErrorHeader ||
					!strings.Contains(reason, fmt.Sprintf("order %d", id)) || strings.Contains(reason, "goroutine") {
					t.Fatalf("dead letter %d lacks its reason headers or its error is unbounded (%d bytes): %.300q", id, len(reason), reason)
				}
				if l.oversized(id) && len(m.Value) != oversizedValue {
					t.Fatalf("oversized dead letter %d holds %d bytes, want %d", id, len(m.Value), oversizedValue)
				}
			}
			if len(seen) != poison {
				t.Fatalf("dead-letter topic holds %d poison ids, want %d", len(seen), poison)
			}
			e.stop(t)
			fetched, done, released := assertAccounting(t, e)
			t.Logf("%s: %d ids; %d dead-lettered (%d near message.max.bytes), %d retried, %d panics recovered; fetched %v = outcomes %v + released %v",
				tt.name, total, poison, total/1000, count(delivery.OutcomeRetried), int(testutil.ToFloat64(e.metrics.panics.WithLabelValues(topic, "h"))), fetched, done, released)
		})
	}
}

// TestHandlerThatAlwaysTimesOutIsDeadLetteredInBoundedTime (issue 9): a
// handler that always runs into its deadline is dead-lettered after
// max_attempts, within max_attempts × (handler_timeout + max_backoff) +
// 1s of its first call — per-message and batch alike — and the partition
// moves on.
func TestHandlerThatAlwaysTimesOutIsDeadLetteredInBoundedTime(t *testing.T) {
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			const attempts, timeout, maxBackoff = 3, 300 * time.Millisecond, 100 * time.Millisecond
			b := newTestBroker(t)
			topic := b.createTopic("always-timeout", 1)
			dlq := topic + ".dlq"
			b.createExactTopic(dlq, 1)
			var mu sync.Mutex
			var first time.Time
			var calls int
			slow := func(ctx context.Context, poison bool) error {
				mu.Lock()
				if first.IsZero() {
					first = time.Now()
				}
				if poison {
					calls++
				}
				mu.Unlock()
				if !poison {
					return nil
				}
				<-ctx.Done()
				return ctx.Err()
			}
			handlers := registry.Empty()
			sub := registry.Subscription{Topic: topic, Handler: "slow", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlq},
				Retry: registry.RetryPolicy{MaxAttempts: attempts, InitialBackoff: maxBackoff / 2, MaxBackoff: maxBackoff}}
			if batch {
				sub.Batch = registry.BatchConfig{Size: 10, Linger: 20 * time.Millisecond}
				handlers.AddBatch("slow", message.BatchHandlerFunc(func(ctx context.Context, msgs []*message.Message) error {
					return slow(ctx, msgs[0].Offset == 0)
				}))
			} else {
				handlers.Add("slow", message.HandlerFunc(func(ctx context.Context, m *message.Message) error { return slow(ctx, m.Offset == 0) }))
			}
			cfg := testConfig([]registry.Subscription{sub})
			cfg.HandlerTimeout = timeout
			e := b.startEngine(cfg, handlers)
			b.produce(topic, 0, 1, strconv.Itoa)
			waitFor(t, "the dead letter", func() bool { return outcomes(e, topic, "slow", delivery.OutcomeDeadLettered) == 1 })
			b.produce(topic, 1, 3, strconv.Itoa)
			waitFor(t, "the partition to move on", allCommitted(t, b, cfg.GroupID, topic, 1))
			letters := b.readAll(dlq, 1)
			mu.Lock()
			defer mu.Unlock()
			if calls != attempts || len(letters) != 1 {
				t.Fatalf("%d calls, %d letters; want %d and 1", calls, len(letters), attempts)
			}
			bound := attempts*(timeout+maxBackoff) + time.Second
			if took := letters[0].Time.Sub(first); took > bound {
				t.Fatalf("dead-lettered %s after the first call; the bound is %s", took, bound)
			} else {
				t.Logf("dead-lettered %s after the first call (bound %s)", took.Round(time.Millisecond), bound)
			}
		})
	}
}

// TestRejectedDeadLetterWriteBlocksUntilTheTopicAllowsIt (issue 9,
// finding 3) against a broker: a dead-letter topic whose
// max.message.bytes is smaller than the message makes the broker refuse
// the letter. The handler is not called again, the partition is blocked
// (named, counted, liveness green), and once an operator raises the limit
// the letter is written within blocked_retry_interval and the partition
// moves on.
func TestRejectedDeadLetterWriteBlocksUntilTheTopicAllowsIt(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("rejected", 1)
	dlq := topic + ".dlq"
	b.createTopicWithConfig(dlq, 1, map[string]string{"max.message.bytes": "2000"})
	var calls atomic.Int32
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Offset == 0 {
			calls.Add(1)
			return message.Permanent(errors.New("poison"))
		}
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlq}}})
	cfg.BlockedRetryInterval = 500 * time.Millisecond
	cfg.HandlerTimeout, cfg.StallTimeout = 200*time.Millisecond, 1500*time.Millisecond
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	pad := make([]byte, 8000)
	rand.NewChaCha8([32]byte{1}).Read(pad)
	b.produceValues(topic, 3, func(i int) (string, string) { return "k", string(pad) })

	blocked := func() float64 {
		v, _ := gauge(t, e.reg, "kafka_consumer_partition_blocked", map[string]string{"topic": topic, "partition": "0", "reason": blockedDeadLetterRejected})
		return v
	}
	waitFor(t, "the partition blocked by a rejected letter", func() bool { return blocked() == 1 })
	waitFor(t, "two rejected writes", func() bool { return testutil.ToFloat64(e.metrics.deadLetterErrs.WithLabelValues(topic)) >= 2 })
	waitFor(t, "the commit point held past stall_timeout", func() bool {
		st := e.State()
		return len(st.Partitions) == 1 && st.Partitions[0].HeldSeconds > cfg.StallTimeout.Seconds()
	})
	if err := e.Live(); err != nil {
		t.Fatalf("a partition blocked by a rejected letter failed liveness: %v", err)
	}
	if err := e.Blocked(); err == nil || !strings.Contains(err.Error(), "blocked at offset 0") || !strings.Contains(err.Error(), "Message Size Too Large") {
		t.Fatalf("Blocked() = %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("the handler was called %d times; a failed letter write must not call it again", calls.Load())
	}
	if committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1); committed[0] > 0 {
		t.Fatalf("committed %d past the message whose letter was refused", committed[0])
	}

	b.alterTopicConfig(dlq, map[string]string{"max.message.bytes": "1048588"})
	waitFor(t, "the partition to move on", allCommitted(t, b, cfg.GroupID, topic, 1))
	if outcomes(e, topic, "h", delivery.OutcomeDeadLettered) != 1 || blocked() != 0 || calls.Load() != 1 {
		t.Fatalf("after raising the limit: dead_lettered %d, blocked %v, calls %d", outcomes(e, topic, "h", delivery.OutcomeDeadLettered), blocked(), calls.Load())
	}
}

// TestLettersAreCompressedSoCompressedMessagesFit: a dead letter is
// written compressed (lz4), so a message that only fits its topic
// compressed — as most producers send — fits a dead-letter topic with the
// same limit.
func TestLettersAreCompressedSoCompressedMessagesFit(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("compressed", 1)
	dlq := topic + ".dlq"
	b.createTopicWithConfig(dlq, 1, map[string]string{"max.message.bytes": "5000"})
	h := message.HandlerFunc(func(context.Context, *message.Message) error { return message.Permanent(errors.New("poison")) })
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlq}}})
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	value := strings.Repeat("the same order line again; ", 1000) // 27 KB that compress well
	b.produceValues(topic, 1, func(int) (string, string) { return "k", value })
	waitFor(t, "the dead letter", func() bool { return outcomes(e, topic, "h", delivery.OutcomeDeadLettered) == 1 })
	if letters := b.readAll(dlq, 1); len(letters) != 1 || string(letters[0].Value) != value {
		t.Fatalf("dead-letter topic holds %d letters", len(letters))
	}
}

// TestUnavailableDeadLetterTopicBlocksThePartitionUntilItExists: when the
// dead-letter topic does not exist (and topics are not created on first
// write), the partition holds at the failing message without committing
// past it. It is blocked — counted, named by Blocked and the metric — not
// stalled: liveness stays green, since a restart cannot create the topic.
// Consumption resumes once the topic exists.
func TestUnavailableDeadLetterTopicBlocksThePartitionUntilItExists(t *testing.T) {
	const total, poisonAt = 30, 10
	b := newTestBroker(t)
	topic := b.createTopic("dlq-down", 1)
	dlq := topic + ".dlq"
	var handled atomic.Int64
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Offset == poisonAt {
			return message.Permanent(errors.New("poison"))
		}
		handled.Add(1)
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition,
		DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlq}}})
	cfg.AutoCreateTopics = false
	cfg.HandlerTimeout, cfg.StallTimeout = 200*time.Millisecond, time.Second
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	b.produce(topic, 0, total, strconv.Itoa)

	dlqErrors := func() float64 { return testutil.ToFloat64(e.metrics.deadLetterErrs.WithLabelValues(topic)) }
	waitFor(t, "a failed dead-letter write", func() bool { return dlqErrors() >= 2 })
	committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1)
	if committed[0] > poisonAt || handled.Load() != poisonAt {
		t.Fatalf("committed %d and handled %d past the message whose dead letter failed (at %d)", committed[0], handled.Load(), poisonAt)
	}
	waitFor(t, "Blocked to name the partition past stall_timeout", func() bool {
		err := e.Blocked()
		st := e.State()
		return err != nil && strings.Contains(err.Error(), fmt.Sprintf("%s/0 blocked at offset %d", topic, poisonAt)) &&
			strings.Contains(err.Error(), blockedDeadLetterUnavailable) && st.Partitions[0].HeldSeconds > cfg.StallTimeout.Seconds()
	})
	if err := e.Live(); err != nil {
		t.Fatalf("a blocked partition failed liveness: %v", err)
	}
	if v, _ := gauge(t, e.reg, "kafka_consumer_stalled", map[string]string{"topic": topic, "partition": "0"}); v != 0 {
		t.Fatalf("kafka_consumer_stalled = %v while blocked", v)
	}
	if v, _ := gauge(t, e.reg, "kafka_consumer_partition_blocked", map[string]string{"topic": topic, "partition": "0", "reason": blockedDeadLetterUnavailable}); v != 1 {
		t.Fatalf("kafka_consumer_partition_blocked = %v while blocked", v)
	}

	b.createExactTopic(dlq, 1)
	waitFor(t, "consumption to resume", func() bool { return handled.Load() == total-1 })
	waitFor(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, 1))
	if err := e.Blocked(); err != nil {
		t.Fatalf("still blocked after the topic was created: %v", err)
	}
	if letters := b.readAll(dlq, 1); len(letters) != 1 || headerOf(letters[0], HeaderOffset) != strconv.Itoa(poisonAt) {
		t.Fatalf("dead-letter topic after recovery: %d messages", len(letters))
	}
	t.Logf("dead-letter topic down: %v failed writes, partition blocked at %d, resumed after the topic was created", dlqErrors(), poisonAt)
}

// TestShutdownDuringLongBackoffFinishesInTime: a message waiting in a
// one-hour retry backoff does not hold up shutdown: the backoff ends the
// moment Stop ends the generation — not when the drain timeout passes —
// with no further attempt and no outcome, and the message stays
// uncommitted.
func TestShutdownDuringLongBackoffFinishesInTime(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("backoff", 1)
	var calls atomic.Int64
	returned := make(chan struct{})
	h := message.HandlerFunc(func(context.Context, *message.Message) error {
		if calls.Add(1) == 1 {
			defer close(returned)
		}
		return errors.New("downstream down")
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition,
		Retry: registry.RetryPolicy{MaxAttempts: 10, InitialBackoff: time.Hour, MaxBackoff: time.Hour}}})
	// A drain far longer than the bound below: a backoff that ended only
	// when the drain timeout cancels the handlers' context, or when the
	// call is abandoned after it, would hold Stop for 20s or more.
	cfg.DrainTimeout = 20 * time.Second
	cfg.StallTimeout = 24 * time.Hour // the hour-long backoffs are the point, not a stall
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	b.produce(topic, 0, 1, strconv.Itoa)
	<-returned
	waitFor(t, "the worker to be in its backoff, holding the message", func() bool {
		st := e.State()
		return len(st.Partitions) == 1 && st.Partitions[0].InFlight == 1 && len(st.Partitions[0].Calls) == 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // the shutdown timeout
	defer cancel()
	started := time.Now()
	if err := e.Stop(ctx); err != nil {
		t.Fatalf("stop during a one-hour backoff: %v", err)
	}
	// Stop drains, commits and leaves the group: well under a second
	// here; 5s allows for a loaded machine and is still a quarter of the
	// drain timeout.
	took := time.Since(started)
	if took > 5*time.Second {
		t.Fatalf("Stop took %s during a backoff: the backoff did not end when the generation did (drain timeout %s)", took, cfg.DrainTimeout)
	}
	t.Logf("Stop returned %s after it was called, during a one-hour backoff", took.Round(time.Millisecond))
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls: the backoff must end without another attempt", n)
	}
	if n := sumOf(t, e.reg, "kafka_consumer_messages_total"); n != 0 {
		t.Fatalf("%v outcomes recorded for a message interrupted in its backoff", n)
	}
	if n := sumOf(t, e.reg, "kafka_consumer_released_total"); n != 1 {
		t.Fatalf("%v messages released, want the one in its backoff", n)
	}
	if z := e.abandoned.Load(); z != 0 {
		t.Fatalf("%d calls abandoned: the worker must end by itself", z)
	}
	committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1)
	if committed[0] > 0 {
		t.Fatalf("committed %d past a message that never succeeded", committed[0])
	}
}
