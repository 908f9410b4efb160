package kafka

import (
	"context"
	"fmt"
	"runtime/pprof"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/internal/proflabel"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// Publisher writes messages to Kafka for handlers (a consume-transform-
// produce service's output). Publish returns only when every message is
// acknowledged by all in-sync replicas, so a handler that returns after
// Publish has its output durable before its input is committed.
//
// Start it before the engine and stop it after: the engine's final batch
// flush publishes during shutdown.
type Publisher struct {
	cfg     Config
	cluster *Cluster
	p       producer
}

// NewPublisher describes the publisher; it connects nothing until Start.
func NewPublisher(cfg Config, cluster *Cluster) *Publisher {
	return &Publisher{cfg: cfg, cluster: cluster, p: producer{name: "publisher"}}
}

// Name identifies the component in lifecycle logs.
func (p *Publisher) Name() string { return "publisher" }

// Start creates the writer.
func (p *Publisher) Start(context.Context) error {
	conn, err := newConnection(p.cfg)
	if err != nil {
		return err
	}
	p.p.open(p.cluster.Addrs(), conn, producerOptions{clientID: p.cfg.GroupID + "-publisher", autoCreate: p.cfg.AutoCreateTopics})
	return nil
}

// Publish writes msgs (each must name its Topic), keyed as given.
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
			return fmt.Errorf("publish message %d: %w", i, errNoTopic)
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
	return p.p.write(ctx, out)
}

// Stop flushes and closes the writer within CloseTimeout, or sooner when
// ctx ends first.
func (p *Publisher) Stop(ctx context.Context) error {
	return p.p.close(remaining(ctx, p.cfg.CloseTimeout))
}

// Failed never closes: publishing errors are returned to the caller.
func (p *Publisher) Failed() <-chan struct{} { return nil }

// Err is always nil; see Failed.
func (p *Publisher) Err() error { return nil }
