package publish

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// Producer is a kafka-go Writer with its own transport, opened at a
// client's start (when the brokers' addresses are known) and closed within
// a deadline. Its methods are safe for concurrent use.
type Producer struct {
	name      string
	mu        sync.Mutex
	writer    *kafkago.Writer
	transport *kafkago.Transport
}

// ProducerOptions shape a producer's writer.
type ProducerOptions struct {
	// ClientID names the writer in the brokers' logs and quotas.
	ClientID string
	// AutoCreateTopics lets a topic be created on its first write when
	// the broker allows it.
	AutoCreateTopics bool
	// Compression, when set, compresses every batch: a record that came
	// compressed from its source topic then fits a topic with the same
	// size limit.
	Compression kafkago.Compression
	// BatchBytes, when positive, raises the largest request the writer
	// builds (kafka-go's default is 1 MiB); the broker still enforces its
	// own limit.
	BatchBytes int64
	// BatchSize, when positive, is the most messages one request to a
	// partition carries; 0 means 1000. Messages written concurrently are
	// batched together, and the broker refuses a batch larger than the
	// topic's limit as a whole.
	BatchSize int
}

// LetterOptions shape a writer of letters: records that came from a
// source topic and go to a dead-letter or retry topic, or back to their
// topic (a replay). They are compressed (lz4), so a record that came
// compressed fits a topic with the same size limit; a request may reach
// 16 MiB, so the broker, not the client, decides whether a letter fits;
// and each letter is a request of its own, so two letters near the
// broker's limit, written at once, are never refused together.
func LetterOptions(clientID string, autoCreate bool) ProducerOptions {
	return ProducerOptions{ClientID: clientID, AutoCreateTopics: autoCreate, Compression: kafkago.Lz4, BatchBytes: maxLetterBytes, BatchSize: 1}
}

// maxLetterBytes is the largest request a letter writer builds: more than
// any broker's default message.max.bytes.
const maxLetterBytes = 16 << 20

// NewProducer returns a producer named name in its errors; it opens
// nothing.
func NewProducer(name string) *Producer { return &Producer{name: name} }

// Open creates the writer. Acks=all: a write returns only once every
// in-sync replica has it. Keys are partitioned with murmur2, as Java
// clients do, so keyed output lands where any other Kafka client would put
// it. It dials nothing: the first write connects.
func (p *Producer) Open(addrs []string, s conn.Settings, o ProducerOptions) {
	t := s.Transport(o.ClientID)
	w := &kafkago.Writer{
		Addr:                   kafkago.TCP(addrs...),
		Balancer:               kafkago.Murmur2Balancer{},
		RequiredAcks:           kafkago.RequireAll,
		BatchTimeout:           5 * time.Millisecond,
		BatchSize:              cmp.Or(o.BatchSize, 1000),
		BatchBytes:             o.BatchBytes,
		Compression:            o.Compression,
		AllowAutoTopicCreation: o.AutoCreateTopics,
		MaxAttempts:            3,
		Transport:              t,
	}
	p.mu.Lock()
	p.writer, p.transport = w, t
	p.mu.Unlock()
}

// Write writes msgs, each to its own Topic, and returns once all are
// acknowledged, or the first error. Before Open and after Close it fails
// with ErrNotStarted.
func (p *Producer) Write(ctx context.Context, msgs ...kafkago.Message) error {
	p.mu.Lock()
	w := p.writer
	p.mu.Unlock()
	if w == nil {
		return fmt.Errorf("%s: %w", p.name, ErrNotStarted)
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("%s: write %d messages: %w", p.name, len(msgs), err)
	}
	return nil
}

// Close flushes and closes the writer, giving up after d. Closing a
// producer that is not open does nothing.
func (p *Producer) Close(d time.Duration) error {
	p.mu.Lock()
	w, t := p.writer, p.transport
	p.writer = nil
	p.mu.Unlock()
	if w == nil {
		return nil
	}
	err := conn.CloseWithin(d, p.name, w.Close)
	t.CloseIdleConnections()
	return err
}

var (
	// ErrNotStarted is returned, wrapped, by a write before the
	// producer's Open or after its Close.
	ErrNotStarted = errors.New("not started")
	// ErrNoTopic is returned, wrapped, by Publish for a message without
	// a Topic.
	ErrNoTopic = errors.New("message has no topic")
)
