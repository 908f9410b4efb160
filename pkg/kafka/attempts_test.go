package kafka

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// seenAttempt is what a handler saw of a message's delivery bookkeeping at
// the start of one call.
type seenAttempt struct {
	attempts    int
	first, last time.Time
}

// TestAHandlerWritingItsAttemptsChangesNothing: Message.Attempts,
// FirstFailure and LastFailure are the engine's copies for the handler to
// read. A handler that resets them on every call still gets exactly
// MaxAttempts calls, sees the true attempt and failure times in each, and
// its dead letter carries the engine's count and times — per-message and
// batch handlers alike. In the batch, the one message retried keeps its
// own count while the others succeed at their first attempt.
// (Long: the same story told for both handler kinds, side by side.)
func TestAHandlerWritingItsAttemptsChangesNothing(t *testing.T) {
	// giveUp bounds the calls of an engine that trusts the fields: it
	// would otherwise retry forever.
	const maxAttempts, giveUp = 3, 10
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			future := time.Now().Add(time.Hour)
			var mu sync.Mutex
			var seen []seenAttempt // of the failing message, at each call's start
			calls := 0
			bad := int64(0)
			msgs := messages(0, 1)
			if batch {
				bad, msgs = 1, messages(0, 3)
			}
			handle := func(ms []*message.Message) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				failed := map[int]error{}
				for i, m := range ms {
					if m.Offset == bad {
						seen = append(seen, seenAttempt{m.Attempts, m.FirstFailure, m.LastFailure})
						if calls < giveUp {
							failed[i] = errBusy
						}
					}
					m.Attempts, m.FirstFailure, m.LastFailure = 0, time.Time{}, future
				}
				if len(failed) == 0 {
					return nil
				}
				if !batch {
					return failed[0]
				}
				return &message.BatchError{Failed: failed}
			}
			handlers := registry.Empty()
			sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(maxAttempts),
				DeadLetter: registry.DeadLetterConfig{Enabled: true}}
			if batch {
				handlers.AddBatch("h", message.BatchHandlerFunc(func(_ context.Context, ms []*message.Message) error { return handle(ms) }))
				sub.Batch = registry.BatchConfig{Size: 10, Linger: time.Second}
			} else {
				handlers.Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error { return handle([]*message.Message{m}) }))
			}
			r := newRig(t, testConfig(nil), sub, handlers)
			began := time.Now()
			r.deliver(msgs...)
			ended := time.Now()

			mu.Lock()
			defer mu.Unlock()
			if calls != maxAttempts || len(seen) != maxAttempts {
				t.Fatalf("%d calls: want exactly max_attempts %d whatever the handler writes into the message", calls, maxAttempts)
			}
			for i, s := range seen {
				if s.attempts != i+1 {
					t.Errorf("call %d saw Attempts %d", i+1, s.attempts)
				}
				if i == 0 && (!s.first.IsZero() || !s.last.IsZero()) {
					t.Errorf("first call saw failures at %v and %v before any", s.first, s.last)
				}
				if i > 0 && (s.first.Before(began) || s.last.Before(s.first) || s.last.After(ended)) {
					t.Errorf("call %d saw FirstFailure %v, LastFailure %v: not the engine's record of failures between %v and %v",
						i+1, s.first, s.last, began, ended)
				}
			}
			if r.outcome(delivery.OutcomeDeadLettered) != 1 || r.outcome(delivery.OutcomeSuccess) != len(msgs)-1 || r.outcomes() != len(msgs) {
				t.Fatalf("dead_lettered %d, success %d of %d", r.outcome(delivery.OutcomeDeadLettered), r.outcome(delivery.OutcomeSuccess), len(msgs))
			}
			letters := r.letters.letters()
			if len(letters) != 1 {
				t.Fatalf("%d dead letters, want 1", len(letters))
			}
			l := letters[0]
			if v, _ := l.Header(dlq.HeaderOffset); string(v) != fmt.Sprint(bad) {
				t.Fatalf("dead letter of offset %s, want %d", v, bad)
			}
			if v, _ := l.Header(dlq.HeaderAttempts); string(v) != fmt.Sprint(maxAttempts) {
				t.Errorf("dead letter says %s attempts, want %d", v, maxAttempts)
			}
			if v, _ := l.Header(dlq.HeaderError); !strings.HasPrefix(string(v), fmt.Sprintf("gave up after %d attempts: ", maxAttempts)) {
				t.Errorf("dead letter error %q", v)
			}
			first, errF := time.Parse(time.RFC3339Nano, header(l, dlq.HeaderFirstFailure))
			last, errL := time.Parse(time.RFC3339Nano, header(l, dlq.HeaderLastFailure))
			if errF != nil || errL != nil || first.Before(began) || !first.Before(last) || last.After(ended) {
				t.Errorf("dead letter's failures %v .. %v (%v, %v): want the first and the last of %d failures within %v .. %v",
					first, last, errF, errL, maxAttempts, began, ended)
			}
		})
	}
}

// header returns m's header key as a string.
func header(m message.Message, key string) string {
	v, _ := m.Header(key)
	return string(v)
}
