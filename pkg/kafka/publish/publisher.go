package publish

import (
	"context"
	"fmt"
	"runtime/pprof"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/internal/proflabel"
	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// Config shapes a Publisher.
type Config struct {
	// ClientID names the publisher in the brokers' logs and quotas.
	ClientID string
	// AutoCreateTopics lets an output topic be created on its first write
	// when the broker allows it.
	AutoCreateTopics bool
	// CloseTimeout bounds the final flush and close.
	CloseTimeout time.Duration
	TLS          conn.TLSConfig
	SASL         conn.SASLConfig
}

// Publisher writes messages to Kafka for handlers (a consume-transform-
// produce service's output). Publish returns only when every message is
// acknowledged by all in-sync replicas, so a handler that returns after
// Publish has its output durable before its input is committed.
//
// Start it before the engine and stop it after: the engine's final batch
// flush publishes during shutdown.
type Publisher struct {
	cfg     Config
	brokers conn.Brokers
	p       *Producer
}

// NewPublisher describes the publisher; it connects nothing until Start,
// when it asks brokers where they are.
func NewPublisher(cfg Config, brokers conn.Brokers) *Publisher {
	return &Publisher{cfg: cfg, brokers: brokers, p: NewProducer("publisher")}
}

// Name identifies the component in lifecycle logs.
func (p *Publisher) Name() string { return "publisher" }

// Start creates the writer; it fails when the TLS or SASL settings cannot
// be loaded.
func (p *Publisher) Start(context.Context) error {
	s, err := conn.New(p.cfg.TLS, p.cfg.SASL)
	if err != nil {
		return err
	}
	p.p.Open(p.brokers.Addrs(), s, ProducerOptions{ClientID: p.cfg.ClientID, AutoCreateTopics: p.cfg.AutoCreateTopics})
	return nil
}

// Publish writes msgs (each must name its Topic, or ErrNoTopic is
// returned and nothing is written), keyed as given.
//
// kafka-go starts a goroutine for each topic-partition on its first write
// there. They belong to the publisher, not to the handler whose call
// happened to publish first, so when ctx carries a handler's profiler
// labels (a handler's context does) the write runs without them and they
// are restored afterwards: leak attribution never counts them for a
// handler.
func (p *Publisher) Publish(ctx context.Context, msgs ...message.Message) error {
	out := make([]kafkago.Message, len(msgs))
	for i, m := range msgs {
		if m.Topic == "" {
			return fmt.Errorf("publish message %d: %w", i, ErrNoTopic)
		}
		out[i] = kafkago.Message{Topic: m.Topic, Key: m.Key, Value: m.Value}
		for _, h := range m.Headers {
			out[i].Headers = append(out[i].Headers, kafkago.Header{Key: h.Key, Value: h.Value})
		}
	}
	if _, labelled := pprof.Label(ctx, proflabel.Handler); labelled {
		pprof.SetGoroutineLabels(context.Background())
		defer pprof.SetGoroutineLabels(ctx)
	}
	return p.p.Write(ctx, out...)
}

// Stop flushes and closes the writer within CloseTimeout, or sooner when
// ctx ends first.
func (p *Publisher) Stop(ctx context.Context) error {
	return p.p.Close(conn.Remaining(ctx, p.cfg.CloseTimeout))
}

// Failed never closes: publishing errors are returned to the caller.
func (p *Publisher) Failed() <-chan struct{} { return nil }

// Err is always nil; see Failed.
func (p *Publisher) Err() error { return nil }
