package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// letterWriter writes a dead letter or a retry-topic letter durably
// (acks=all): nil means it is stored.
type letterWriter interface {
	write(ctx context.Context, letter message.Message) error
}

// letterProducer is the engine's own writer for letters, apart from the
// handlers' Publisher (see publish.LetterOptions: compressed, sized by the
// broker, one letter per request), and its lifetime is the engine's
// (opened in Start, closed after the final commit).
type letterProducer struct{ *publish.Producer }

func (l *letterProducer) open(addrs []string, s conn.Settings, group string, autoCreate bool) {
	l.Open(addrs, s, letterOptions(group, autoCreate))
}

// letterOptions name the letter writer <group>-letters, apart from the
// handlers' Publisher in the broker's logs and quotas.
func letterOptions(group string, autoCreate bool) publish.ProducerOptions {
	return publish.LetterOptions(group+"-letters", autoCreate)
}

// write stamps the letter with the time it is written: when the message
// was dead-lettered or rescheduled.
func (l *letterProducer) write(ctx context.Context, letter message.Message) error {
	km := kafkago.Message{Topic: letter.Topic, Key: letter.Key, Value: letter.Value, Time: time.Now()}
	for _, h := range letter.Headers {
		km.Headers = append(km.Headers, kafkago.Header{Key: h.Key, Value: h.Value})
	}
	return l.Write(ctx, km)
}

// handoffTarget is where a letter goes.
type handoffTarget int

const (
	toDeadLetter handoffTarget = iota
	toRetryTopic
)

// The reasons a partition is blocked, for kafka_consumer_partition_blocked.
const (
	blockedDeadLetterUnavailable = "dead_letter_unavailable"
	blockedDeadLetterRejected    = "dead_letter_rejected"
	blockedRetryTopicUnavailable = "retry_topic_unavailable"
	blockedRetryTopicRejected    = "retry_topic_rejected"
)

// blockedReasons lists every reason, for the metric's series.
var blockedReasons = [...]string{blockedDeadLetterUnavailable, blockedDeadLetterRejected, blockedRetryTopicUnavailable, blockedRetryTopicRejected}

// blockedReason names why a write to target failed.
func blockedReason(target handoffTarget, rejected bool) string {
	// ifs, not a switch: coverage (and so mutation testing) sees into an
	// if's condition, not into a case expression.
	if target == toRetryTopic {
		if rejected {
			return blockedRetryTopicRejected
		}
		return blockedRetryTopicUnavailable
	}
	if rejected {
		return blockedDeadLetterRejected
	}
	return blockedDeadLetterUnavailable
}

// rejectedWrite reports whether a write failed for a reason that writing
// the same record again cannot fix until someone changes the cluster: the
// record is larger than the topic allows, the client is not authorized,
// the topic name or record is invalid, or a policy refuses it. Everything
// else (a broker or leader away, a timeout, a topic not yet created) is
// worth retrying soon.
func rejectedWrite(err error) bool {
	var tooLarge kafkago.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return true
	}
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		for _, e := range werrs {
			if e != nil && rejectedWrite(e) {
				return true
			}
		}
		return false
	}
	var kerr kafkago.Error
	if !errors.As(err, &kerr) {
		return false
	}
	switch kerr {
	case kafkago.MessageSizeTooLarge, kafkago.RecordListTooLarge, kafkago.InvalidRecord,
		kafkago.InvalidTopic, kafkago.PolicyViolation, kafkago.InvalidRequiredAcks,
		kafkago.UnsupportedCompressionType,
		kafkago.TopicAuthorizationFailed, kafkago.ClusterAuthorizationFailed,
		kafkago.TransactionalIDAuthorizationFailed, kafkago.SASLAuthenticationFailed:
		return true
	}
	return false
}

// blockedState says what holds a worker: a letter being written, or one
// that cannot be written.
type blockedState struct {
	// reason is "" while the first write is in flight, then why writes
	// fail.
	reason string
	// letterTopic is where the letter goes; offset is the message whose
	// letter fails; first and last bound the delivery the worker holds
	// meanwhile (a batch holds its later messages too).
	letterTopic         string
	offset, first, last int64
	since               time.Time
	failures            int
	err                 error
}

// describe says, for an operator, what holds the partition and what to do.
func (b *blockedState) describe(p *partitionRun, now time.Time) string {
	return fmt.Sprintf("%s/%d blocked at offset %d for %s (%s): %d failed writes to %s: %v; %s",
		p.topic, p.partition, b.offset, now.Sub(b.since).Round(time.Millisecond), b.reason, b.failures, b.letterTopic, b.err, blockedAdvice(b.reason))
}

// blockedAdvice is what an operator does about a reason; the README says
// the same.
func blockedAdvice(reason string) string {
	switch reason {
	case blockedDeadLetterRejected, blockedRetryTopicRejected:
		return "the broker refuses the letter: raise the topic's max.message.bytes or grant this client Write on it; the write is tried again every blocked_retry_interval and the partition resumes by itself"
	}
	return "the topic cannot be written now: check that it exists (auto_create_topics is off?) and the brokers are up; the write is retried with backoff and the partition resumes by itself"
}

// blockSlots are a partition's blocked states, one slot per worker.
type blockSlots struct {
	slots []blockedSlot
}

type blockedSlot struct {
	state atomic.Pointer[blockedState]
	// logAgainAt is when this worker may next log that it is still
	// blocked (once per BlockedRetryInterval); only the worker touches it.
	logAgainAt time.Time
}

func newBlockSlots(workers int) *blockSlots { return &blockSlots{slots: make([]blockedSlot, workers)} }

// holding returns the letter write that holds offset, if any: blocked
// when its reason is set.
func (s *blockSlots) holding(offset int64) *blockedState {
	for i := range s.slots {
		if b := s.slots[i].state.Load(); b != nil && b.first <= offset && offset <= b.last {
			return b
		}
	}
	return nil
}
