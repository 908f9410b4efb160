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

// readAll returns every message of topic, from the first offset to the end.
func (b *testBroker) readAll(topic string, partitions int) []kafkago.Message {
	b.t.Helper()
	_, end := b.committedAndEnd("none", topic, partitions)
	var out []kafkago.Message
	for p := range partitions {
		if end[p] == 0 {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: b.addrs, Dialer: b.conn.Dialer(), Topic: topic, Partition: p, MaxWait: time.Second, MaxBytes: 4 << 20})
		ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
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
// (Long: one ledger, reconciled in full for each ordering.)
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
			dlqTopic := topic + ".dlq"
			b.createExactTopic(dlqTopic, partitions)

			handlers := registry.Empty()
			if tt.batch {
				handlers.AddBatch("h", message.BatchHandlerFunc(l.handleBatch))
			} else {
				handlers.Add("h", message.HandlerFunc(l.handle))
			}
			sub := tt.sub
			sub.Topic, sub.Handler = topic, "h"
			sub.Retry = registry.RetryPolicy{MaxAttempts: 3, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
			sub.DeadLetter = registry.DeadLetterConfig{Enabled: true, Topic: dlqTopic}
			cfg := testConfig([]registry.Subscription{sub})
			// Long enough that only the timeout ids meet it: on a starved
			// machine an attempt whose deadline passed before its call began
			// fails, and an exact count of retried ids would see one more.
			cfg.HandlerTimeout = time.Second
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
			consumertest.Eventually(t, "every outcome", func() bool {
				return count(delivery.OutcomeSuccess)+count(delivery.OutcomeRetried)+count(delivery.OutcomeDeadLettered) == total
			})
			consumertest.Eventually(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, partitions))
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
			for _, m := range b.readAll(dlqTopic, partitions) {
				id := idOf(&message.Message{Value: m.Value})
				if !(l.poison(id) || l.oversized(id)) || seen[id] {
					t.Fatalf("dead-letter topic holds %d (poison: %v, again: %v)", id, l.poison(id) || l.oversized(id), seen[id])
				}
				seen[id] = true
				reason := headerOf(m, dlq.HeaderError)
				if headerOf(m, dlq.HeaderTopic) != topic || headerOf(m, dlq.HeaderOffset) == "" || len(reason) > MaxErrorHeader ||
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
