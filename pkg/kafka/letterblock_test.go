//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

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
	dlqTopic := topic + ".dlq"
	b.createTopicWithConfig(dlqTopic, 1, map[string]string{"max.message.bytes": "2000"})
	var calls atomic.Int32
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Offset == 0 {
			calls.Add(1)
			return message.Permanent(errors.New("poison"))
		}
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlqTopic}}})
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
	consumertest.Eventually(t, "the partition blocked by a rejected letter", func() bool { return blocked() == 1 })
	consumertest.Eventually(t, "two rejected writes", func() bool { return testutil.ToFloat64(e.metrics.deadLetterErrs.WithLabelValues(topic)) >= 2 })
	consumertest.Eventually(t, "the commit point held past stall_timeout", func() bool {
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

	b.alterTopicConfig(dlqTopic, map[string]string{"max.message.bytes": "1048588"})
	consumertest.Eventually(t, "the partition to move on", allCommitted(t, b, cfg.GroupID, topic, 1))
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
	dlqTopic := topic + ".dlq"
	b.createTopicWithConfig(dlqTopic, 1, map[string]string{"max.message.bytes": "5000"})
	h := message.HandlerFunc(func(context.Context, *message.Message) error { return message.Permanent(errors.New("poison")) })
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlqTopic}}})
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	value := strings.Repeat("the same order line again; ", 1000) // 27 KB that compress well
	b.produceValues(topic, 1, func(int) (string, string) { return "k", value })
	consumertest.Eventually(t, "the dead letter", func() bool { return outcomes(e, topic, "h", delivery.OutcomeDeadLettered) == 1 })
	if letters := b.readAll(dlqTopic, 1); len(letters) != 1 || string(letters[0].Value) != value {
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
	dlqTopic := topic + ".dlq"
	var handled atomic.Int64
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Offset == poisonAt {
			return message.Permanent(errors.New("poison"))
		}
		handled.Add(1)
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition,
		DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlqTopic}}})
	cfg.AutoCreateTopics = false
	cfg.HandlerTimeout, cfg.StallTimeout = 200*time.Millisecond, time.Second
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	b.produce(topic, 0, total, strconv.Itoa)

	dlqErrors := func() float64 { return testutil.ToFloat64(e.metrics.deadLetterErrs.WithLabelValues(topic)) }
	consumertest.Eventually(t, "a failed dead-letter write", func() bool { return dlqErrors() >= 2 })
	committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1)
	if committed[0] > poisonAt || handled.Load() != poisonAt {
		t.Fatalf("committed %d and handled %d past the message whose dead letter failed (at %d)", committed[0], handled.Load(), poisonAt)
	}
	consumertest.Eventually(t, "Blocked to name the partition past stall_timeout", func() bool {
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

	b.createExactTopic(dlqTopic, 1)
	consumertest.Eventually(t, "consumption to resume", func() bool { return handled.Load() == total-1 })
	consumertest.Eventually(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, 1))
	if err := e.Blocked(); err != nil {
		t.Fatalf("still blocked after the topic was created: %v", err)
	}
	if letters := b.readAll(dlqTopic, 1); len(letters) != 1 || headerOf(letters[0], dlq.HeaderOffset) != strconv.Itoa(poisonAt) {
		t.Fatalf("dead-letter topic after recovery: %d messages", len(letters))
	}
	t.Logf("dead-letter topic down: %v failed writes, partition blocked at %d, resumed after the topic was created", dlqErrors(), poisonAt)
}
