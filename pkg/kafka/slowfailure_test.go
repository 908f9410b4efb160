//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

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
			dlqTopic := topic + ".dlq"
			b.createExactTopic(dlqTopic, 1)
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
			sub := registry.Subscription{Topic: topic, Handler: "slow", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlqTopic},
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
			consumertest.Eventually(t, "the dead letter", func() bool { return outcomes(e, topic, "slow", delivery.OutcomeDeadLettered) == 1 })
			b.produce(topic, 1, 3, strconv.Itoa)
			consumertest.Eventually(t, "the partition to move on", allCommitted(t, b, cfg.GroupID, topic, 1))
			letters := b.readAll(dlqTopic, 1)
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
	// The retry budget (ten attempts, hour-long backoffs) must fit in the
	// stall timeout, or the engine refuses the subscription.
	cfg.StallTimeout = 10 * time.Hour
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	b.produce(topic, 0, 1, strconv.Itoa)
	<-returned
	consumertest.Eventually(t, "the worker to be in its backoff, holding the message", func() bool {
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
	if n := consumertest.Sum(t, e.reg, "kafka_consumer_messages_total", nil); n != 0 {
		t.Fatalf("%v outcomes recorded for a message interrupted in its backoff", n)
	}
	if n := consumertest.Sum(t, e.reg, "kafka_consumer_released_total", nil); n != 1 {
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
