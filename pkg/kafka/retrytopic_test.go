//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestRetryTopicRoundsDoNotBlockTheTopic: a message whose in-place retries
// are used up goes to the retry topic and the main topic moves on; one
// message succeeds in its second round, one that keeps failing is
// dead-lettered after the last round, and every message has one outcome on
// each topic it passed through.
func TestRetryTopicRoundsDoNotBlockTheTopic(t *testing.T) {
	const total = 50
	b := newTestBroker(t)
	topic := b.createTopic("retry-topic", 1)
	var mu sync.Mutex
	attempts := map[string]int{}
	var order []string // topic-relative order of successful handling
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		id := string(m.Value)
		mu.Lock()
		defer mu.Unlock()
		attempts[id]++
		switch {
		case id == "0" && attempts[id] < 5: // 2 attempts on the topic, 2 in round 1, succeeds in round 2
			return errors.New("inventory service busy")
		case id == "1":
			return errors.New("inventory service down")
		}
		order = append(order, id)
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition,
		Retry:      registry.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond},
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Delay: 300 * time.Millisecond, Rounds: 2},
		DeadLetter: registry.DeadLetterConfig{Enabled: true}}})
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	b.produce(topic, 0, total, func(int) string { return "k" })
	retry, dlqTopic := topic+".retry", topic+".dlq"

	count := func(topic string, o delivery.Outcome) int { return outcomes(e, topic, "h", o) }
	consumertest.Eventually(t, "every outcome", func() bool {
		return count(topic, delivery.OutcomeSuccess) == total-2 && count(topic, delivery.OutcomeRescheduled) == 2 &&
			count(retry, delivery.OutcomeSuccess)+count(retry, delivery.OutcomeDeadLettered) == 2
	})
	if got := count(retry, delivery.OutcomeRescheduled); got != 2 {
		t.Errorf("retry topic rescheduled %d (each failing message once, to round 2), want 2", got)
	}
	if count(retry, delivery.OutcomeSuccess) != 1 || count(retry, delivery.OutcomeDeadLettered) != 1 {
		t.Errorf("retry topic: success %d dead_lettered %d, want 1 and 1", count(retry, delivery.OutcomeSuccess), count(retry, delivery.OutcomeDeadLettered))
	}
	mu.Lock()
	if len(order) != total-1 || order[len(order)-1] != "0" {
		t.Errorf("message 0 must succeed after the whole topic moved on; order ends %v", order[max(0, len(order)-3):])
	}
	// 2 attempts per pass: message 0 succeeds on its 5th, message 1 fails 3
	// passes. A hand-off write that fails re-runs a pass (at-least-once),
	// so these are lower bounds.
	if attempts["0"] < 5 || attempts["1"] < 6 {
		t.Errorf("attempts: 0 -> %d (want >= 5), 1 -> %d (want >= 6)", attempts["0"], attempts["1"])
	}
	mu.Unlock()
	letters := b.readAll(dlqTopic, 1)
	if len(letters) != 1 || string(letters[0].Value) != "1" || headerOf(letters[0], dlq.HeaderTopic) != topic ||
		headerOf(letters[0], dlq.HeaderOffset) != "1" || headerOf(letters[0], HeaderRetryRound) != "" {
		t.Fatalf("dead letters: %d; want message 1 after round 2, traced to its origin %s/0@1 without retry headers", len(letters), topic)
	}
	consumertest.Eventually(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, 1))
	e.stop(t)
	assertAccounting(t, e)
}

// TestRetryTopicDueWaitIsCappedAtTheDelay (issue 9, finding 6): a message
// on the retry topic whose retry.due lies far in the future (a skewed
// clock, a hand-made header) waits only the retry delay, not until then,
// so it cannot hold its partition until the next rebalance.
func TestRetryTopicDueWaitIsCappedAtTheDelay(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("retry-due", 1)
	handled := make(chan string, 1)
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		handled <- m.Topic
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition,
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Delay: 200 * time.Millisecond, Rounds: 2}}})
	cfg.StallTimeout = time.Minute
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	letter := retryLetter(&message.Message{Topic: topic, Offset: 0, Value: []byte("x")}, errBusy, topic+".retry", time.Now().Add(time.Hour))
	b.produceMessages(letter)
	select {
	case got := <-handled:
		if got != topic+".retry" {
			t.Fatalf("handled from %s", got)
		}
	case <-time.After(consumertest.Patience):
		t.Fatal("a message due in an hour held its partition")
	}
	consumertest.Eventually(t, "its outcome", func() bool { return outcomes(e, topic+".retry", "h", delivery.OutcomeSuccess) == 1 })
}
