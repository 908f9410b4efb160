package kafka

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// onRetryTopic is a subscription of topic "t" whose retry topic "t.retry"
// has the given delay and 3 rounds.
func onRetryTopic(delay time.Duration) registry.Subscription {
	return registry.Subscription{Topic: "t", Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(1),
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Delay: delay, Rounds: 3}, DeadLetter: registry.DeadLetterConfig{Enabled: true}}
}

// asFetched is letter as the retry topic's reader returns it, at offset.
func asFetched(letter message.Message, offset int64) kafkago.Message {
	km := kafkago.Message{Topic: letter.Topic, Offset: offset, Key: letter.Key, Value: letter.Value, HighWaterMark: offset + 1}
	for _, h := range letter.Headers {
		km.Headers = append(km.Headers, kafkago.Header{Key: h.Key, Value: h.Value})
	}
	return km
}

// withHeader returns letter with header key set to value, or removed when
// value is nil.
func withHeader(letter message.Message, key string, value []byte) message.Message {
	var headers []message.Header
	for _, h := range letter.Headers {
		if h.Key != key {
			headers = append(headers, h)
		}
	}
	if value != nil {
		headers = append(headers, message.Header{Key: key, Value: value})
	}
	letter.Headers = headers
	return letter
}

// callTimes records when each offset was first handled.
type callTimes struct {
	mu    sync.Mutex
	first map[int64]time.Time
}

func (c *callTimes) handler() message.Handler {
	c.first = map[int64]time.Time{}
	return message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.first[m.Offset]; !ok {
			c.first[m.Offset] = time.Now()
		}
		return nil
	})
}

func (c *callTimes) at(offset int64) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.first[offset]
	return t, ok
}

// TestRetryTopicMessagesWaitUntilDue: a message read from the retry topic
// is not handled before its retry.due, and is handled then; one already
// due is handled at once; one due further away than the retry delay (a
// skewed clock, a hand-made header) waits only the delay, with a warning.
// On the bubble's clock, so the bounds are exact.
func TestRetryTopicMessagesWaitUntilDue(t *testing.T) {
	const delay = 5 * time.Second
	for _, tt := range []struct {
		name    string
		dueIn   time.Duration
		handled time.Duration // after it was fetched
		warns   bool
	}{
		{"due later", 1500 * time.Millisecond, 1500 * time.Millisecond, false},
		{"due at the delay", delay, delay, false},
		{"already due", -time.Minute, 0, false},
		{"due now", 0, 0, false},
		{"due beyond the delay", time.Hour, delay, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls callTimes
				r := runPartition(t, testConfig(nil), onRetryTopic(delay), registry.Empty().Add("h", calls.handler()), "t.retry")
				fetched := time.Now()
				letter := retryLetter(&message.Message{Topic: "t", Offset: 7, Value: []byte("x")}, errBusy, "t.retry", fetched.Add(tt.dueIn))
				r.feed(asFetched(letter, 0))
				time.Sleep(tt.handled - time.Nanosecond)
				synctest.Wait()
				if at, ok := calls.at(0); ok && tt.handled > 0 {
					t.Fatalf("handled %s after it was fetched, before it was due (%s)", at.Sub(fetched), tt.handled)
				}
				time.Sleep(time.Nanosecond)
				synctest.Wait()
				at, ok := calls.at(0)
				if !ok {
					t.Fatalf("not handled %s after it was fetched", tt.handled)
				}
				if at.Sub(fetched) != tt.handled {
					t.Fatalf("handled %s after it was fetched, want %s after", at.Sub(fetched), tt.handled)
				}
				if r.outcome(delivery.OutcomeSuccess) != 1 || r.committable() != 1 {
					t.Fatalf("success %d, committable %d", r.outcome(delivery.OutcomeSuccess), r.committable())
				}
				if warned := r.logs.FilterMessageSnippet("due later than the retry delay allows").Len() == 1; warned != tt.warns {
					t.Fatalf("warned %v, want %v", warned, tt.warns)
				}
			})
		})
	}
}

// TestRetryTopicDueWaitEndsWithTheGeneration: messages of one retry
// partition are handled in offset order, so one due later holds those
// behind it (at most the retry delay); the generation ending ends the wait
// at once, leaving them without an outcome, for the next owner.
func TestRetryTopicDueWaitEndsWithTheGeneration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls callTimes
		r := runPartition(t, testConfig(nil), onRetryTopic(5*time.Second), registry.Empty().Add("h", calls.handler()), "t.retry")
		start := time.Now()
		first := retryLetter(&message.Message{Topic: "t", Offset: 1, Value: []byte("a")}, errBusy, "t.retry", start.Add(3*time.Second))
		second := retryLetter(&message.Message{Topic: "t", Offset: 2, Value: []byte("b")}, errBusy, "t.retry", start)
		r.feed(asFetched(first, 0), asFetched(second, 1))
		time.Sleep(time.Second)
		synctest.Wait()
		if _, ok := calls.at(1); ok {
			t.Fatal("a message already due overtook the one before it in its partition")
		}
		r.end()
		<-r.done
		if time.Since(start) != time.Second {
			t.Fatalf("the run ended %s after the generation did", time.Since(start)-time.Second)
		}
		if _, ok := calls.at(0); ok || r.outcomes() != 0 || r.committable() != -1 {
			t.Fatalf("outcomes %d, committable %d after the wait was cut: want none, uncommitted", r.outcomes(), r.committable())
		}
	})
}

// TestMalformedRetryDueIsHandledNowAndNamed: a retry-topic message whose
// retry.due is missing or unreadable is handled at once — never parked —
// and a warning names its offset and the header.
func TestMalformedRetryDueIsHandledNowAndNamed(t *testing.T) {
	for _, tt := range []struct {
		name string
		due  []byte // nil: no header
	}{
		{"garbage", []byte("next tuesday")},
		{"empty", []byte{}},
		{"unix seconds", []byte("1700000000")},
		{"missing", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls callTimes
				r := runPartition(t, testConfig(nil), onRetryTopic(5*time.Second), registry.Empty().Add("h", calls.handler()), "t.retry")
				fetched := time.Now()
				letter := retryLetter(&message.Message{Topic: "t", Offset: 7, Value: []byte("x")}, errBusy, "t.retry", fetched.Add(time.Hour))
				r.feed(asFetched(withHeader(letter, HeaderRetryDue, tt.due), 0))
				synctest.Wait()
				if at, ok := calls.at(0); !ok || at != fetched {
					t.Fatalf("handled %v, %s after it was fetched; want at once", ok, at.Sub(fetched))
				}
				warnings := r.logs.FilterMessageSnippet("retry.due").All()
				if len(warnings) != 1 || warnings[0].ContextMap()["offset"] != int64(0) || !strings.Contains(warnings[0].Message, "handling it now") {
					t.Fatalf("warnings %v; want one naming the offset", warnings)
				}
			})
		})
	}
}
