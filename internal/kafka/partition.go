package kafka

import (
	"context"
	"errors"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/message"
)

// partitionRun consumes one assigned partition for one generation: a fetcher
// goroutine reads into a channel bounded by MaxInflight (a full channel
// pauses fetching), and the worker — the goroutine kafka-go's Generation
// started — handles messages strictly in offset order.
type partitionRun struct {
	gen       *generationRun
	sub       *subscription
	topic     string
	partition int
	start     int64
	tracker   *offsetTracker
	pmetrics  partitionMetrics
	log       *zap.Logger
}

func newPartitionRun(g *generationRun, sub *subscription, partition int, start int64) *partitionRun {
	return &partitionRun{
		gen: g, sub: sub, topic: sub.Topic, partition: partition, start: start,
		tracker:  newOffsetTracker(),
		pmetrics: g.engine.metrics.forPartition(sub.Topic, partition),
		log:      g.log.With(zap.String("topic", sub.Topic), zap.Int("partition", partition)),
	}
}

// run consumes until genCtx ends (revoke or shutdown), then stops fetching,
// lets the message or batch in hand finish within DrainTimeout and returns.
// Messages fetched but not handled stay uncommitted and are redelivered.
func (p *partitionRun) run(genCtx context.Context) {
	cfg := p.gen.engine.cfg
	reader := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:       p.gen.engine.cluster.Addrs(),
		Topic:         p.topic,
		Partition:     p.partition,
		Dialer:        p.gen.engine.conn.dialer(),
		MinBytes:      1,
		MaxBytes:      1 << 20,
		MaxWait:       cfg.FetchMaxWait,
		QueueCapacity: min(cfg.MaxInflight, 100),
		ErrorLogger:   kafkaLogger(p.log),
	})
	defer func() {
		if err := closeWithin(cfg.CloseTimeout, "partition reader", reader.Close); err != nil {
			p.log.Warn("partition reader did not close cleanly", zap.Error(err))
		}
	}()
	if err := reader.SetOffset(p.start); err != nil {
		p.log.Error("cannot position partition reader", zap.Int64("offset", p.start), zap.Error(err))
		<-genCtx.Done()
		return
	}

	// Handlers keep their context through the drain and lose it when the
	// drain deadline passes, so a well-behaved handler ends in time.
	handlerCtx, cancelHandlers := context.WithCancel(context.Background())
	defer cancelHandlers()
	stopDrainTimer := context.AfterFunc(genCtx, func() {
		time.AfterFunc(cfg.DrainTimeout, cancelHandlers)
	})
	defer stopDrainTimer()

	fetchCtx, stopFetching := context.WithCancel(genCtx)
	defer stopFetching()
	inbox := make(chan *message.Message, cfg.MaxInflight)
	fetched := make(chan struct{})
	go func() {
		defer close(fetched)
		p.fetch(fetchCtx, reader, inbox)
	}()

	w := worker{p: p, genCtx: genCtx, handlerCtx: handlerCtx}
	w.work(inbox)
	stopFetching()
	<-fetched
	p.sub.metrics.inflight.Sub(float64(p.tracker.InFlight()))
	p.pmetrics.paused.Set(0)
}

// fetch reads messages in offset order and hands them to the worker; when
// the inbox is full it waits, so the reader stops fetching.
func (p *partitionRun) fetch(ctx context.Context, reader *kafkago.Reader, inbox chan<- *message.Message) {
	for {
		km, err := reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.log.Warn("fetch failed; retrying", zap.Error(err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		msg := toMessage(km)
		p.tracker.Add(msg.Offset)
		p.sub.metrics.inflight.Inc()
		select {
		case inbox <- msg:
			continue
		default:
		}
		p.pmetrics.paused.Set(1)
		select {
		case inbox <- msg:
			p.pmetrics.paused.Set(0)
		case <-ctx.Done():
			return
		}
	}
}

func toMessage(km kafkago.Message) *message.Message {
	m := &message.Message{
		Topic: km.Topic, Partition: km.Partition, Offset: km.Offset,
		Key: km.Key, Value: km.Value, Time: km.Time,
	}
	if len(km.Headers) > 0 {
		m.Headers = make([]message.Header, len(km.Headers))
		for i, h := range km.Headers {
			m.Headers[i] = message.Header{Key: h.Key, Value: h.Value}
		}
	}
	return m
}

// worker is the partition's one ordered consumer of its inbox.
type worker struct {
	p          *partitionRun
	genCtx     context.Context // ends on revoke or shutdown
	handlerCtx context.Context // ends DrainTimeout after genCtx
}

func (w *worker) work(inbox <-chan *message.Message) {
	if w.p.sub.Batch.Size > 0 {
		w.workBatches(inbox)
		return
	}
	for w.genCtx.Err() == nil {
		select {
		case <-w.genCtx.Done():
			return
		case m := <-inbox:
			w.p.process(w.genCtx, w.handlerCtx, []*message.Message{m})
		}
	}
}

// workBatches collects messages into batches and flushes each when it is
// full, when Linger has passed since its first message (a fixed deadline:
// later messages never extend it), or when the generation ends.
func (w *worker) workBatches(inbox <-chan *message.Message) {
	b := w.p.sub.Batch
	batch := make([]*message.Message, 0, b.Size)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	defer linger.Stop()
	flush := func(reason string) {
		if len(batch) == 0 {
			return
		}
		linger.Stop()
		w.p.sub.batches.observe(reason, len(batch))
		w.p.process(w.genCtx, w.handlerCtx, batch)
		batch = make([]*message.Message, 0, b.Size)
	}
	for {
		if w.genCtx.Err() != nil {
			flush(w.p.gen.engine.endReason())
			return
		}
		select {
		case <-w.genCtx.Done():
		case m := <-inbox:
			batch = append(batch, m)
			if len(batch) == 1 {
				linger.Reset(b.Linger)
			}
			if len(batch) >= b.Size {
				flush("size")
			}
		case <-linger.C:
			flush("linger")
		}
	}
}

var errRevoked = errors.New("partition revoked or shutting down")
