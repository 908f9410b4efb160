package kafka

import (
	"context"
	"fmt"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
)

// partitionReader is what a partition run needs of kafka-go's Reader.
type partitionReader interface {
	SetOffset(offset int64) error
	FetchMessage(ctx context.Context) (kafkago.Message, error)
	Close() error
}

// openKafkaReader opens a reader of one partition, outside any group: the
// engine tracks and commits offsets itself. The reader retries by itself
// when the broker cannot be reached or does not answer; report receives
// each error it reports meanwhile.
func (e *Engine) openKafkaReader(topic string, partition int, report func(line string)) partitionReader {
	return kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:       e.brokers.Addrs(),
		Topic:         topic,
		Partition:     partition,
		Dialer:        e.conn.Dialer(),
		MinBytes:      1,
		MaxBytes:      int(min(e.cfg.MaxInflightBytes, 1<<20)),
		MaxWait:       e.cfg.FetchMaxWait,
		QueueCapacity: min(e.cfg.MaxInflight, 100),
		ErrorLogger:   kafkaLogger(e.log.With(zap.String("topic", topic), zap.Int("partition", partition)), report),
	})
}

// fetch reads messages in offset order and routes each to its lane,
// waiting (fetch paused) while the offset window is full or the lane's
// queue is. A message counts as fetched once it is admitted to the
// window: one still waiting for room when the generation ends is neither
// fetched nor released, so fetched = outcomes + in flight + released
// holds whenever the partition is paused. ctx is the generation's;
// fetching ends with it and is what waits for messages derive from.
func (p *partitionRun) fetch(ctx, fetching context.Context, reader partitionReader, lanes *lanes) {
	fetchCtx := p.fetchContext(fetching)
	for {
		if !p.waitWhileZombies(ctx) {
			return
		}
		km, err := reader.FetchMessage(fetchCtx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if fetchCtx.Err() != nil { // interrupted: the partition passed max_zombies
				fetchCtx = p.fetchContext(fetching)
				continue
			}
			p.log.Warn("fetch failed; retrying", zap.Error(err))
			p.net.failed(p.gen.engine.brokers.Addrs(), err.Error(), time.Now())
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		p.net.succeeded()
		m := p.pool.get()
		m.fill(&km)
		size, now := delivery.Size(&m.Message), p.clock.now()
		if !p.window.tryAdmit(km.Offset, size, now) {
			p.pmetrics.paused.Set(1)
			err := p.window.admit(ctx, km.Offset, size, now)
			p.pmetrics.paused.Set(0)
			if err != nil {
				return // never admitted, never counted: redelivered
			}
		}
		p.pmetrics.fetched.Inc()
		if hw := p.highWater.Load(); hw < 0 || hw != km.HighWaterMark {
			if hw < 0 {
				p.position.CompareAndSwap(p.start, km.Offset) // a start of "earliest" or "latest" becomes concrete
			}
			p.highWater.Store(km.HighWaterMark)
		}
		inbox := lanes.route(m)
		select {
		case inbox <- m:
			continue
		default:
		}
		p.pmetrics.paused.Set(1)
		select {
		case inbox <- m:
			p.pmetrics.paused.Set(0)
		case <-ctx.Done():
			return
		}
	}
}

// fetchContext returns the context the fetch loop waits for its next
// message under: fetching (which ends with the generation), also ended by
// the watchdog when the partition passes max_zombies. Without it, a loop
// already waiting when the zombies appear would fetch, and hand to a
// worker, one more message before it pauses.
func (p *partitionRun) fetchContext(fetching context.Context) context.Context {
	fetchCtx, interrupt := context.WithCancel(fetching)
	p.interruptFetch.Store(&interrupt)
	return fetchCtx
}

// waitWhileZombies keeps the partition from fetching while it has more
// zombie calls than MaxZombies: more work would only pile up behind them.
func (p *partitionRun) waitWhileZombies(ctx context.Context) bool {
	limit := int32(p.gen.engine.cfg.MaxZombies)
	if p.zombies.Load() <= limit {
		return true
	}
	p.pmetrics.paused.Set(1)
	defer p.pmetrics.paused.Set(0)
	for p.zombies.Load() > limit {
		if !sleep(ctx, 100*time.Millisecond) {
			return false
		}
	}
	return true
}

// kafkaLogger routes kafka-go's error log to zap, so its errors are never
// silent, and hands each line to report (when not nil): kafka-go's
// clients retry network errors internally and tell of them only here.
// Lines caused by our own cancellation (at revoke or stop) are expected
// and dropped.
func kafkaLogger(log *zap.Logger, report func(line string)) kafkago.LoggerFunc {
	sugar := log.Sugar()
	return func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		if strings.HasSuffix(line, context.Canceled.Error()) {
			return
		}
		sugar.Warn(line)
		if report != nil {
			report(line)
		}
	}
}
