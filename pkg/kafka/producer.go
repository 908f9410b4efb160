package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// producer is a kafka-go Writer with its own transport, created at start
// (when the cluster's addresses are known) and closed within a deadline.
type producer struct {
	name      string
	mu        sync.Mutex
	writer    *kafkago.Writer
	transport *kafkago.Transport
}

// producerOptions shape a producer's writer.
type producerOptions struct {
	clientID   string
	autoCreate bool
	// compression, when set, compresses every batch: a record that came
	// compressed from its source topic then fits a topic with the same
	// size limit.
	compression kafkago.Compression
	// batchBytes, when positive, raises the largest request the writer
	// builds (kafka-go's default is 1 MiB); the broker still enforces its
	// own limit.
	batchBytes int64
}

// open creates the writer. Acks=all: a write returns only once every
// in-sync replica has it. Keys are partitioned with murmur2, as Java clients
// do, so keyed output lands where any other Kafka client would put it.
func (p *producer) open(addrs []string, conn connection, o producerOptions) {
	t := conn.transport(o.clientID)
	w := &kafkago.Writer{
		Addr:                   kafkago.TCP(addrs...),
		Balancer:               kafkago.Murmur2Balancer{},
		RequiredAcks:           kafkago.RequireAll,
		BatchTimeout:           5 * time.Millisecond,
		BatchSize:              1000,
		BatchBytes:             o.batchBytes,
		Compression:            o.compression,
		AllowAutoTopicCreation: o.autoCreate,
		MaxAttempts:            3,
		Transport:              t,
	}
	p.mu.Lock()
	p.writer, p.transport = w, t
	p.mu.Unlock()
}

func (p *producer) write(ctx context.Context, msgs []kafkago.Message) error {
	p.mu.Lock()
	w := p.writer
	p.mu.Unlock()
	if w == nil {
		return fmt.Errorf("%s: %w", p.name, errNotStarted)
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("%s: write %d messages: %w", p.name, len(msgs), err)
	}
	return nil
}

// close flushes and closes the writer, giving up after d.
func (p *producer) close(d time.Duration) error {
	p.mu.Lock()
	w, t := p.writer, p.transport
	p.writer = nil
	p.mu.Unlock()
	if w == nil {
		return nil
	}
	err := closeWithin(d, p.name, w.Close)
	t.CloseIdleConnections()
	return err
}

var (
	errNoTopic    = errors.New("message has no topic")
	errNotStarted = errors.New("not started")
)
