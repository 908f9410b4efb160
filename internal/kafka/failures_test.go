package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/internal/message"
	"github.com/consumerkit/consumerkit/internal/message/middleware"
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
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: b.addrs, Topic: topic, Partition: p, MaxWait: time.Second})
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

// TestLedgerFailuresPoisonTransientAndPanics: 1% poison, 5% transient
// errors that succeed on retry, 0.1% panics that succeed on retry. Every
// non-poison id is processed, the dead-letter topic holds exactly the poison
// ids with their reason headers, the outcomes add up, and the committed
// offsets reach the end only because every message before them is done.
func TestLedgerFailuresPoisonTransientAndPanics(t *testing.T) {
	const total, partitions = 10_000, 4
	b := newTestBroker(t)
	topic := b.createTopic("failures", partitions)
	dlq := topic + ".dlq"
	b.createExactTopic(dlq, partitions)
	isPoison := func(id int) bool { return id%100 == 0 }
	isTransient := func(id int) bool { return id%20 == 1 }
	isPanic := func(id int) bool { return id%1000 == 7 }

	var mu sync.Mutex
	attempts := map[int]int{}
	processed := map[int]bool{}
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		id, _ := strconv.Atoi(string(m.Value))
		mu.Lock()
		attempts[id]++
		n := attempts[id]
		mu.Unlock()
		switch {
		case isPoison(id):
			return message.Permanent(fmt.Errorf("poison order %d", id))
		case isTransient(id) && n == 1:
			return errors.New("downstream busy")
		case isPanic(id) && n == 1:
			panic(fmt.Sprintf("nil map in order %d", id))
		}
		mu.Lock()
		processed[id] = true
		mu.Unlock()
		return nil
	})
	cfg := testConfig([]Subscription{{Topic: topic, Handler: "h", Ordering: OrderingPartition,
		Retry:      middleware.RetryPolicy{MaxAttempts: 3, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond},
		DeadLetter: DeadLetterConfig{Enabled: true, Topic: dlq}}})
	e := b.startEngine(cfg, message.NewRegistry().Add("h", h))
	b.produce(topic, 0, total, func(i int) string { return "k" + strconv.Itoa(i%31) })

	var poison, retried int
	for id := range total {
		switch {
		case isPoison(id):
			poison++
		case isTransient(id), isPanic(id):
			retried++
		}
	}
	count := func(o message.Outcome) int { return outcomes(e, topic, "h", o) }
	waitFor(t, "every outcome", func() bool {
		return count(message.OutcomeSuccess)+count(message.OutcomeRetried)+count(message.OutcomeDeadLettered) == total
	})
	waitFor(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, partitions))
	if got := count(message.OutcomeDeadLettered); got != poison {
		t.Errorf("dead_lettered %d, want %d", got, poison)
	}
	if got := count(message.OutcomeRetried); got != retried {
		t.Errorf("retried %d, want %d", got, retried)
	}
	if got := count(message.OutcomeFailed); got != 0 {
		t.Errorf("failed %d, want 0 with a dead-letter topic", got)
	}
	if got := testutil.ToFloat64(e.metrics.panics.WithLabelValues(topic, "h")); int(got) != total/1000 {
		t.Errorf("panics counted %v, want %d", got, total/1000)
	}
	mu.Lock()
	for id := range total {
		if !isPoison(id) && !processed[id] {
			t.Fatalf("id %d never processed", id)
		}
	}
	mu.Unlock()

	letters := b.readAll(dlq, partitions)
	seen := map[int]bool{}
	for _, m := range letters {
		id, _ := strconv.Atoi(string(m.Value))
		if !isPoison(id) || seen[id] {
			t.Fatalf("dead-letter topic holds %d (poison: %v, again: %v)", id, isPoison(id), seen[id])
		}
		seen[id] = true
		if headerOf(m, middleware.HeaderTopic) != topic || headerOf(m, middleware.HeaderError) != fmt.Sprintf("poison order %d", id) ||
			headerOf(m, middleware.HeaderAttempts) != "1" || headerOf(m, middleware.HeaderOffset) == "" {
			t.Fatalf("dead letter %d lacks its reason headers: %v", id, m.Headers)
		}
	}
	if len(seen) != poison {
		t.Fatalf("dead-letter topic holds %d poison ids, want %d", len(seen), poison)
	}
	e.stop(t)
	fetched, done, released := assertAccounting(t, e)
	t.Logf("failures ledger: %d ids; %d dead-lettered with headers, %d retried, %d panics recovered; fetched %v = outcomes %v + released %v",
		total, poison, retried, total/1000, fetched, done, released)
}

// TestUnavailableDeadLetterTopicHaltsPartitionUntilItExists: when the
// dead-letter write fails (its topic may not be created), the partition
// stops at the failing message without committing past it, the failure is
// counted and logged, and consumption resumes once the topic exists.
func TestUnavailableDeadLetterTopicHaltsPartitionUntilItExists(t *testing.T) {
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
	cfg := testConfig([]Subscription{{Topic: topic, Handler: "h", Ordering: OrderingPartition,
		DeadLetter: DeadLetterConfig{Enabled: true, Topic: dlq}}})
	cfg.AutoCreateTopics = false
	cfg.HandlerTimeout, cfg.StallTimeout = 500*time.Millisecond, time.Second
	e := b.startEngine(cfg, message.NewRegistry().Add("h", h))
	b.produce(topic, 0, total, strconv.Itoa)

	dlqErrors := func() float64 { return testutil.ToFloat64(e.metrics.deadLetterErrs.WithLabelValues(topic)) }
	waitFor(t, "a failed dead-letter write", func() bool { return dlqErrors() >= 2 })
	committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1)
	if committed[0] > poisonAt || handled.Load() != poisonAt {
		t.Fatalf("committed %d and handled %d past the message whose dead letter failed (at %d)", committed[0], handled.Load(), poisonAt)
	}

	waitFor(t, "liveness to name the stalled partition", func() bool {
		err := e.Live()
		return err != nil && strings.Contains(err.Error(), fmt.Sprintf("%s/0 stalled at offset %d: handler h", topic, poisonAt))
	})
	if v, _ := gauge(t, e.reg, "kafka_consumer_stalled", map[string]string{"topic": topic, "partition": "0"}); v != 1 {
		t.Fatalf("kafka_consumer_stalled = %v while held", v)
	}

	b.createExactTopic(dlq, 1)
	waitFor(t, "consumption to resume", func() bool { return handled.Load() == total-1 })
	waitFor(t, "liveness to recover", func() bool { return e.Live() == nil })
	waitFor(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, 1))
	if letters := b.readAll(dlq, 1); len(letters) != 1 || letters[0].Offset != 0 || headerOf(letters[0], middleware.HeaderOffset) != strconv.Itoa(poisonAt) {
		t.Fatalf("dead-letter topic after recovery: %d messages", len(letters))
	}
	t.Logf("dead-letter topic down: %v failed writes, partition held at %d, resumed after the topic was created", dlqErrors(), poisonAt)
}

// TestShutdownDuringLongBackoffFinishesInTime: a message waiting in a
// one-hour retry backoff does not hold up shutdown; Stop completes within
// its deadline and the message stays uncommitted.
func TestShutdownDuringLongBackoffFinishesInTime(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("backoff", 1)
	var calls atomic.Int64
	h := message.HandlerFunc(func(context.Context, *message.Message) error {
		calls.Add(1)
		return errors.New("downstream down")
	})
	cfg := testConfig([]Subscription{{Topic: topic, Handler: "h", Ordering: OrderingPartition,
		Retry: middleware.RetryPolicy{MaxAttempts: 10, InitialBackoff: time.Hour, MaxBackoff: time.Hour}}})
	e := b.startEngine(cfg, message.NewRegistry().Add("h", h))
	b.produce(topic, 0, 1, strconv.Itoa)
	waitFor(t, "the first attempt", func() bool { return calls.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the shutdown timeout
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatalf("stop during a one-hour backoff: %v", err)
	}
	committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1)
	if committed[0] > 0 {
		t.Fatalf("committed %d past a message that never succeeded", committed[0])
	}
}
