package kafka

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/message"
	"github.com/consumerkit/consumerkit/internal/message/middleware"
)

// partitionRun consumes one assigned partition for one generation. The
// goroutine kafka-go's Generation started for it fetches; its workers — one
// in partition ordering, Workers in key and none ordering — handle. Fetched,
// unfinished work is bounded by the partition's inflightLimiter: when it is
// full the fetch loop waits, so the partition stops fetching.
type partitionRun struct {
	gen       *generationRun
	sub       *subscription
	topic     string
	partition int
	start     int64
	tracker   *offsetTracker
	limiter   *inflightLimiter
	pmetrics  partitionMetrics
	log       *zap.Logger

	// For lag: the partition's high-water mark as last fetched, and the
	// offset last committed (or, before any commit, the first fetched).
	highWater atomic.Int64
	position  atomic.Int64
	// ending is set when the generation ends: workers then take no new
	// message from their queues.
	ending atomic.Bool
	// zombies counts calls still running well after their context ended;
	// lastDone is when a message last reached its outcome (unix ns).
	zombies  atomic.Int32
	lastDone atomic.Int64
	// calls are the running handler calls, for inspection.
	calls atomic.Pointer[callSlots]
}

func newPartitionRun(g *generationRun, sub *subscription, partition int, start int64) *partitionRun {
	cfg := g.engine.cfg
	p := &partitionRun{
		gen: g, sub: sub, topic: sub.Topic, partition: partition, start: start,
		tracker:  newOffsetTracker(),
		limiter:  newInflightLimiter(cfg.MaxInflight, cfg.MaxInflightBytes),
		pmetrics: g.engine.metrics.forPartition(sub.Topic, partition),
		log:      g.log.With(zap.String("topic", sub.Topic), zap.Int("partition", partition)),
	}
	p.highWater.Store(-1)
	p.position.Store(start)
	p.lastDone.Store(time.Now().UnixNano())
	return p
}

// run consumes until genCtx ends (revoke or shutdown), then stops fetching,
// lets the messages in hand finish within DrainTimeout, flushes a pending
// batch and returns. Messages fetched but not started stay uncommitted and
// are redelivered to the next owner.
func (p *partitionRun) run(genCtx context.Context) {
	cfg := p.gen.engine.cfg
	reader := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:       p.gen.engine.cluster.Addrs(),
		Topic:         p.topic,
		Partition:     p.partition,
		Dialer:        p.gen.engine.conn.dialer(),
		MinBytes:      1,
		MaxBytes:      int(min(cfg.MaxInflightBytes, 1<<20)),
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
	// drain deadline passes, so a well-behaved handler ends in time; the
	// cause says why.
	handlerCtx, cancelHandlers := context.WithCancelCause(message.WithStopping(context.Background(), genCtx.Done()))
	defer cancelHandlers(errors.New("partition run ended"))
	lanes := newLanes(p.sub, cfg.MaxInflight)
	calls := newCallSlots(lanes.workers())
	p.calls.Store(calls)
	stopDrainTimer := context.AfterFunc(genCtx, func() {
		reason := p.gen.engine.endReason()
		time.AfterFunc(cfg.DrainTimeout, func() {
			cause := fmt.Errorf("%w: %s drain timeout %s passed", errRevoked, reason, cfg.DrainTimeout)
			cancelHandlers(cause)
			calls.cancelAll(cause)
		})
	})
	defer stopDrainTimer()

	stopEnding := context.AfterFunc(genCtx, func() { p.ending.Store(true) })
	defer stopEnding()

	p.gen.engine.metrics.live.add(p)
	defer p.gen.engine.metrics.live.remove(p)

	var workers sync.WaitGroup
	for i := range lanes.workers() {
		w := &worker{p: p, genCtx: genCtx, handlerCtx: handlerCtx, inbox: lanes.inbox(i), slot: &calls.slots[i]}
		workers.Go(func() {
			pprof.SetGoroutineLabels(p.sub.labels)
			w.work()
		})
	}
	stopWatchdog := make(chan struct{})
	var watchdog sync.WaitGroup
	watchdog.Go(func() { p.watch(calls, stopWatchdog) })
	p.fetch(genCtx, reader, lanes)
	p.ending.Store(true)
	lanes.close()
	workers.Wait()
	close(stopWatchdog)
	watchdog.Wait()
	p.pmetrics.released.Add(float64(p.tracker.InFlight())) // fetched, never finished: redelivered
	p.pmetrics.paused.Set(0)
}

// watch enforces handler deadlines until stop is closed.
func (p *partitionRun) watch(calls *callSlots, stop <-chan struct{}) {
	t := time.NewTicker(watchdogTick(p.gen.engine.cfg.HandlerTimeout))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			calls.expire(now)
			if n := calls.zombies(now, p.gen.engine.cfg.ZombieGrace); n > 0 {
				p.zombies.Add(int32(n))
				p.gen.engine.metrics.zombies.Add(float64(n))
				p.log.Error("handler call ignores its ended context: zombie (Go cannot stop it)",
					zap.String("handler", p.sub.Handler), zap.Int32("zombies", p.zombies.Load()),
					zap.Int("max_zombies", p.gen.engine.cfg.MaxZombies))
			}
		}
	}
}

// fetch reads messages in offset order and routes each to its lane,
// waiting (fetch paused) while the in-flight bound is full or its lane's
// queue is.
func (p *partitionRun) fetch(ctx context.Context, reader *kafkago.Reader, lanes *lanes) {
	for {
		if !p.waitWhileZombies(ctx) {
			return
		}
		km, err := reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.log.Warn("fetch failed; retrying", zap.Error(err))
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		p.pmetrics.fetched.Inc()
		msg := toMessage(km)
		size := msg.Size()
		if !p.limiter.tryAcquire(size) {
			p.pmetrics.paused.Set(1)
			err := p.limiter.acquire(ctx, size)
			p.pmetrics.paused.Set(0)
			if err != nil {
				return
			}
		}
		if p.highWater.Load() < 0 {
			p.position.CompareAndSwap(p.start, km.Offset) // a start of "earliest" or "latest" becomes concrete
		}
		p.highWater.Store(km.HighWaterMark)
		p.tracker.Add(msg.Offset)
		inbox := lanes.route(msg)
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

// stall reports whether the partition holds work and has completed nothing
// for timeout, and if so the offset it is stuck at and for how long. Slow
// is not stalled: any completion resets the clock.
func (p *partitionRun) stall(now time.Time, timeout time.Duration) (offset int64, idle time.Duration, stalled bool) {
	offset, fetched, ok := p.tracker.Oldest()
	if !ok {
		return 0, 0, false
	}
	since := time.Unix(0, p.lastDone.Load())
	if fetched.After(since) {
		since = fetched // work that just arrived after a quiet spell
	}
	idle = now.Sub(since)
	return offset, idle, idle >= timeout
}

// waitWhileZombies keeps the partition from fetching while it has more
// zombie calls than MaxZombies: more work would only pile up behind them.
func (p *partitionRun) waitWhileZombies(ctx context.Context) bool {
	for p.zombies.Load() > int32(p.gen.engine.cfg.MaxZombies) {
		p.pmetrics.paused.Set(1)
		if !sleep(ctx, 100*time.Millisecond) {
			return false
		}
	}
	return true
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

// worker is one consumer of a lane's queue.
type worker struct {
	p          *partitionRun
	genCtx     context.Context // ends on revoke or shutdown
	handlerCtx context.Context // ends DrainTimeout after genCtx
	inbox      <-chan *message.Message
	slot       *atomic.Pointer[callContext] // the running call, for the watchdog
}

func (w *worker) work() {
	if w.p.sub.Batch.Size > 0 {
		w.workBatches()
		return
	}
	one := make([]*message.Message, 1) // reused: no allocation per message
	for m := range w.inbox {           // closed by the fetch loop when it ends
		if w.p.ending.Load() {
			return // what is still queued stays uncommitted: redelivered
		}
		if w.p.sub.retryOf != nil && !w.waitUntilDue(m) {
			return // the generation ended while waiting: redelivered later
		}
		one[0] = m
		w.p.process(w.genCtx, w.handlerCtx, w.slot, one)
	}
}

// waitUntilDue holds a retry-topic message until its round is due, on
// this worker only; it returns false if the generation ends first.
func (w *worker) waitUntilDue(m *message.Message) bool {
	due, ok := middleware.Due(m)
	if !ok {
		return true
	}
	if d := time.Until(due); d > 0 {
		return sleep(w.genCtx, d)
	}
	return true
}

// workBatches hands batches to the batch handler as the accumulator says
// they are due, and flushes what it holds when the generation ends.
func (w *worker) workBatches() {
	acc := newBatchAccumulator(w.p.sub.Batch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	flush := func(reason string) {
		timer.Stop()
		batch := acc.take()
		w.p.sub.batches.observe(reason, len(batch))
		w.p.process(w.genCtx, w.handlerCtx, w.slot, batch)
	}
	for {
		if w.genCtx.Err() != nil {
			if !acc.empty() {
				flush(w.p.gen.engine.endReason())
			}
			return
		}
		select {
		case <-w.genCtx.Done():
		case m, ok := <-w.inbox:
			if !ok || w.p.ending.Load() {
				if !acc.empty() {
					flush(w.p.gen.engine.endReason())
				}
				return
			}
			now := time.Now()
			wasEmpty := acc.empty()
			if reason := acc.add(m, now); reason != "" {
				flush(reason)
			} else if wasEmpty {
				deadline, _ := acc.nextDeadline()
				timer.Reset(deadline.Sub(now))
			}
		case now := <-timer.C:
			if acc.due(now) {
				flush("linger")
			}
		}
	}
}

var errRevoked = errors.New("partition revoked or shutting down")
