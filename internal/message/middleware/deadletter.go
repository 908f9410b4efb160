package middleware

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/consumerkit/consumerkit/internal/message"
)

// The headers a dead letter carries; `consumer dlq replay` and operators
// rely on these names.
const (
	HeaderTopic        = "dlq.original.topic"
	HeaderPartition    = "dlq.original.partition"
	HeaderOffset       = "dlq.original.offset"
	HeaderError        = "dlq.error"
	HeaderAttempts     = "dlq.attempts"
	HeaderFirstFailure = "dlq.first.failure"
	HeaderLastFailure  = "dlq.last.failure"
)

// ErrDeadLetterWrite wraps a failed dead-letter write.
var ErrDeadLetterWrite = errors.New("dead-letter write failed")

// Publisher writes messages durably (acks=all): nil means every one is
// stored.
type Publisher interface {
	Publish(ctx context.Context, msgs ...message.Message) error
}

// DeadLetterer writes failed messages to their dead-letter topic: the same
// key and value, the original headers, and headers saying where the
// message came from, why it failed, how often it was tried and when.
type DeadLetterer struct {
	pub     Publisher
	topicOf func(topic string) string
}

// NewDeadLetterer writes through pub to topicOf(original topic).
func NewDeadLetterer(pub Publisher, topicOf func(string) string) *DeadLetterer {
	return &DeadLetterer{pub: pub, topicOf: topicOf}
}

// Write dead-letters m for cause. It returns message.DeadLettered(cause)
// once the write is acknowledged, or the write's error — which is not
// permanent: the message must not be committed, and is tried again.
func (d *DeadLetterer) Write(ctx context.Context, m *message.Message, cause error) error {
	topic := d.topicOf(m.Topic)
	now := time.Now().UTC()
	first, last := m.FirstFailure, m.LastFailure
	if first.IsZero() {
		first, last = now, now
	}
	headers := append(append([]message.Header(nil), m.Headers...),
		message.Header{Key: HeaderTopic, Value: []byte(m.Topic)},
		message.Header{Key: HeaderPartition, Value: []byte(strconv.Itoa(m.Partition))},
		message.Header{Key: HeaderOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		message.Header{Key: HeaderError, Value: []byte(cause.Error())},
		message.Header{Key: HeaderAttempts, Value: []byte(strconv.Itoa(max(m.Attempts, 1)))},
		message.Header{Key: HeaderFirstFailure, Value: []byte(first.UTC().Format(time.RFC3339Nano))},
		message.Header{Key: HeaderLastFailure, Value: []byte(last.UTC().Format(time.RFC3339Nano))},
	)
	err := d.pub.Publish(ctx, message.Message{Topic: topic, Key: m.Key, Value: m.Value, Headers: headers})
	if err != nil {
		return fmt.Errorf("%w: %s/%d@%d to %s (not committed; will retry): %w", ErrDeadLetterWrite, m.Topic, m.Partition, m.Offset, topic, err)
	}
	return message.DeadLettered(cause, topic)
}

// DeadLetter sends a message whose handling finally failed to its
// dead-letter topic, so its partition moves on without losing it.
func DeadLetter(d *DeadLetterer) message.Middleware {
	return func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			err := next.Handle(ctx, m)
			if err == nil || !message.IsPermanent(err) || message.IsRescheduled(err) {
				return err // success, handed to a retry topic, or still worth retrying here
			}
			return d.Write(ctx, m, err)
		})
	}
}
