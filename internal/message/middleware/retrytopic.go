package middleware

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/internal/message"
)

// Headers of a message on a retry topic.
const (
	HeaderRetryRound = "retry.round"
	HeaderRetryDue   = "retry.due"
	HeaderRetryError = "retry.error"
	HeaderRetryFrom  = "retry.original"
)

// RetryTopicer reschedules messages whose in-place retries are used up to
// a retry topic, to be tried again after a delay without blocking the
// partition they came from (like Spring Kafka's retryable topics). After
// Rounds rounds on the retry topic the failure goes on to dead-lettering.
type RetryTopicer struct {
	pub    Publisher
	topic  string
	delay  time.Duration
	rounds int
}

// NewRetryTopicer writes to topic through pub, each round due delay later.
func NewRetryTopicer(pub Publisher, topic string, delay time.Duration, rounds int) *RetryTopicer {
	return &RetryTopicer{pub: pub, topic: topic, delay: delay, rounds: rounds}
}

// Round returns how many rounds m has been through the retry topic.
func Round(m *message.Message) int {
	v, ok := m.Header(HeaderRetryRound)
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(string(v))
	return n
}

// Due returns when m, read from a retry topic, may be tried again.
func Due(m *message.Message) (time.Time, bool) {
	v, ok := m.Header(HeaderRetryDue)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	return t, err == nil
}

// reschedule writes m to the retry topic for its next round.
func (r *RetryTopicer) reschedule(ctx context.Context, m *message.Message, cause error) error {
	round := Round(m) + 1
	from := fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset)
	if v, ok := m.Header(HeaderRetryFrom); ok {
		from = string(v) // keep the first origin across rounds
	}
	headers := make([]message.Header, 0, len(m.Headers)+4)
	for _, h := range m.Headers {
		if !strings.HasPrefix(h.Key, "retry.") {
			headers = append(headers, h)
		}
	}
	headers = append(headers,
		message.Header{Key: HeaderRetryRound, Value: []byte(strconv.Itoa(round))},
		message.Header{Key: HeaderRetryDue, Value: []byte(time.Now().Add(r.delay).UTC().Format(time.RFC3339Nano))},
		message.Header{Key: HeaderRetryError, Value: []byte(cause.Error())},
		message.Header{Key: HeaderRetryFrom, Value: []byte(from)},
	)
	if err := r.pub.Publish(ctx, message.Message{Topic: r.topic, Key: m.Key, Value: m.Value, Headers: headers}); err != nil {
		return fmt.Errorf("reschedule %s to %s (not committed; will retry): %w", from, r.topic, err)
	}
	return message.Rescheduled(cause, r.topic)
}

// RetryTopic hands a message whose in-place retries are used up to the
// retry topic, until it has been through Rounds rounds there; a handler's
// own permanent error, or the last round's failure, goes on to the layers
// above (dead-lettering).
func RetryTopic(r *RetryTopicer) message.Middleware {
	return func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			err := next.Handle(ctx, m)
			if err == nil || !message.IsExhausted(err) || Round(m) >= r.rounds {
				return err
			}
			return r.reschedule(ctx, m, err)
		})
	}
}
