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

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// partitionRun consumes one assigned partition for one generation. The
// goroutine kafka-go's Generation started for it fetches; its workers — one
// in partition ordering, Workers in key and none ordering — handle.
// Fetched work that is not yet committable is bounded by the partition's
// offsetWindow: when it is full the fetch loop waits, so the partition
// stops fetching.
type partitionRun struct {
	gen       *generationRun
	sub       *subscription
	topic     string
	partition int
	start     int64
	window    *offsetWindow
	pmetrics  partitionMetrics
	log       *zap.Logger

	// For lag: the partition's high-water mark as last fetched, and the
	// offset last committed (or, before any commit, the first fetched).
	highWater atomic.Int64
	position  atomic.Int64
	// ending is set when the generation ends: workers then take no new
	// message from their queues, and failed messages are not retried.
	ending atomic.Bool
	// zombies counts calls still running well after their context ended.
	zombies atomic.Int32
	// interruptFetch ends the fetch loop's current wait for a message:
	// the deadline enforcer calls it when the partition passes
	// max_zombies.
	interruptFetch atomic.Pointer[context.CancelFunc]
	// calls are the running handler calls and blocks what holds each
	// worker, for the deadline enforcer and for inspection.
	calls  atomic.Pointer[callSlots]
	blocks atomic.Pointer[blockSlots]
	// unusable says why the partition cannot be consumed this generation.
	unusable atomic.Pointer[string]
}

// partitionReader is what a partition run needs of kafka-go's Reader.
type partitionReader interface {
	SetOffset(offset int64) error
	FetchMessage(ctx context.Context) (kafkago.Message, error)
	Close() error
}

func newPartitionRun(g *generationRun, sub *subscription, partition int, start int64) *partitionRun {
	cfg := g.engine.cfg
	p := &partitionRun{
		gen: g, sub: sub, topic: sub.Topic, partition: partition, start: start,
		window:   newOffsetWindow(cfg.MaxInflight, cfg.MaxInflightBytes),
		pmetrics: g.engine.metrics.forPartition(sub.Topic, partition),
		log:      g.log.With(zap.String("topic", sub.Topic), zap.Int("partition", partition), zap.String("handler", sub.Handler)),
	}
	p.highWater.Store(-1)
	p.position.Store(start)
	return p
}

// openKafkaReader opens a reader of one partition, outside any group: the
// engine tracks and commits offsets itself.
func (e *Engine) openKafkaReader(topic string, partition int) partitionReader {
	return kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:       e.cluster.Addrs(),
		Topic:         topic,
		Partition:     partition,
		Dialer:        e.conn.dialer(),
		MinBytes:      1,
		MaxBytes:      int(min(e.cfg.MaxInflightBytes, 1<<20)),
		MaxWait:       e.cfg.FetchMaxWait,
		QueueCapacity: min(e.cfg.MaxInflight, 100),
		ErrorLogger:   kafkaLogger(e.log.With(zap.String("topic", topic), zap.Int("partition", partition))),
	})
}

// run consumes until genCtx ends (revoke or shutdown), then stops fetching
// and lets the calls in hand finish: their context ends when the drain
// timeout passes, and calls still running ZombieGrace later are abandoned,
// so a handler that ignores its context cannot keep the member out of the
// group. Messages fetched but not finished stay uncommitted and are
// redelivered to the next owner.
func (p *partitionRun) run(genCtx context.Context) {
	e := p.gen.engine
	cfg := e.cfg
	reader := e.openReader(p.topic, p.partition)
	defer func() {
		if err := closeWithin(cfg.CloseTimeout, "partition reader", reader.Close); err != nil {
			p.log.Warn("partition reader did not close cleanly", zap.Error(err))
		}
	}()
	e.metrics.live.add(p)
	defer e.metrics.live.remove(p)
	if err := reader.SetOffset(p.start); err != nil {
		reason := fmt.Sprintf("cannot position the partition reader at offset %d: %v", p.start, err)
		p.unusable.Store(&reason)
		p.log.Error("partition cannot be consumed this generation; liveness fails until it can", zap.Int64("offset", p.start), zap.Error(err))
		<-genCtx.Done()
		return
	}

	lanes := newLanes(p.sub, cfg.MaxInflight)
	workers := make([]*worker, lanes.workers())
	calls, blocks := newCallSlots(len(workers)), newBlockSlots(len(workers))
	p.calls.Store(calls)
	p.blocks.Store(blocks)

	// Handlers keep their context through the drain and lose it when the
	// drain timeout passes, with a cause saying why. Their contexts carry
	// the handler's profiler labels.
	handlerCtx, cancelHandlers := context.WithCancelCause(p.sub.labels)
	defer cancelHandlers(errRunEnded)
	// fetching ends with genCtx. kafka-go's generation context is not a
	// standard one: every context derived from it would cost a goroutine,
	// so the fetch loop's are derived from this one instead.
	fetching, stopFetching := context.WithCancel(context.Background())
	defer stopFetching()
	stopEnding := context.AfterFunc(genCtx, func() { p.ending.Store(true); stopFetching() })
	defer stopEnding()

	var running sync.WaitGroup
	allDone := make(chan struct{})
	for i := range workers {
		workers[i] = &worker{p: p, index: i, genCtx: genCtx, handlerCtx: handlerCtx, inbox: lanes.inbox(i),
			slot: &calls.slots[i], block: &blocks.slots[i]}
		running.Go(func() {
			pprof.SetGoroutineLabels(p.sub.labels)
			workers[i].work()
		})
	}
	stopDeadlines := make(chan struct{})
	var deadlines sync.WaitGroup
	deadlines.Go(func() { p.enforceDeadlines(calls, stopDeadlines) })
	defer func() { close(stopDeadlines); deadlines.Wait() }()

	p.fetch(genCtx, fetching, reader, lanes) // returns once genCtx has ended
	p.ending.Store(true)
	lanes.close()
	drain := e.drainTimeout()
	drainTimer := time.AfterFunc(drain, func() {
		cancelHandlers(fmt.Errorf("%w: %s drain timeout %s passed", errRevoked, e.endReason(), drain))
		calls.cancelAll()
	})
	defer drainTimer.Stop()
	// Waiting for the workers without a bound would let one call that
	// ignores its context hold the whole generation: no final commit for
	// any partition, and a member that cannot rejoin. (When a call is
	// abandoned, this goroutine ends with it.)
	go func() { running.Wait(); close(allDone) }()
	abandonAfter := time.NewTimer(drain + cfg.ZombieGrace)
	defer abandonAfter.Stop()
	select {
	case <-allDone:
	case <-abandonAfter.C:
		p.abandon(calls, drain)
	}
	p.pmetrics.released.Add(float64(p.window.close())) // fetched, never finished: redelivered
	p.pmetrics.paused.Set(0)
}

// abandon gives up on the calls still running after the drain and
// ZombieGrace: they are counted as zombies, their messages are released
// uncommitted (everything before them is committed), and the generation
// may end. What they do when they return is not recorded.
func (p *partitionRun) abandon(calls *callSlots, drain time.Duration) {
	e := p.gen.engine
	offsets, newZombies := calls.abandon()
	if newZombies > 0 {
		p.zombies.Add(int32(newZombies))
		e.metrics.zombies.Add(float64(newZombies))
	}
	e.abandoned.Add(int32(len(offsets)))
	p.log.Error("abandoned handler calls that ignore their ended context; their messages stay uncommitted for the partition's next owner",
		zap.Int64s("offsets", offsets), zap.Duration("drain_timeout", drain), zap.Duration("zombie_grace", e.cfg.ZombieGrace),
		zap.Int32("abandoned_calls_running", e.abandoned.Load()))
}

// callReturned accounts for a call that returned after it was counted as a
// zombie, or abandoned.
func (p *partitionRun) callReturned(c *callContext) {
	switch c.returned() {
	case callZombie:
		p.zombies.Add(-1)
		p.gen.engine.metrics.zombies.Sub(1)
	case callAbandoned:
		p.zombies.Add(-1)
		p.gen.engine.metrics.zombies.Sub(1)
		p.gen.engine.abandoned.Add(-1)
	}
}

// enforceDeadlines is the partition's deadline enforcer, one goroutine
// per partition run, in place of a runtime timer per call (see
// callContext): every deadlineTick it cancels the calls whose deadline has
// passed, counts as zombies the calls still running ZombieGrace after
// their context ended, and interrupts the fetch loop once the partition
// has more than MaxZombies. It returns when stop is closed.
func (p *partitionRun) enforceDeadlines(calls *callSlots, stop <-chan struct{}) {
	cfg := p.gen.engine.cfg
	t := time.NewTicker(deadlineTick(p.sub.HandlerTimeout))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			calls.expire(now)
			if n := calls.zombies(now, cfg.ZombieGrace); n > 0 {
				p.zombies.Add(int32(n))
				p.gen.engine.metrics.zombies.Add(float64(n))
				p.log.Error("handler call ignores its ended context: zombie (Go cannot stop it)",
					zap.Int32("zombies", p.zombies.Load()), zap.Int("max_zombies", cfg.MaxZombies))
				if interrupt := p.interruptFetch.Load(); interrupt != nil && p.zombies.Load() > int32(cfg.MaxZombies) {
					(*interrupt)()
				}
			}
		}
	}
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
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		msg := toMessage(km)
		size, now := delivery.Size(msg), time.Now().UnixNano()
		if !p.window.tryAdmit(msg.Offset, size, now) {
			p.pmetrics.paused.Set(1)
			err := p.window.admit(ctx, msg.Offset, size, now)
			p.pmetrics.paused.Set(0)
			if err != nil {
				return // never admitted, never counted: redelivered
			}
		}
		p.pmetrics.fetched.Inc()
		if p.highWater.Load() < 0 {
			p.position.CompareAndSwap(p.start, km.Offset) // a start of "earliest" or "latest" becomes concrete
		}
		p.highWater.Store(km.HighWaterMark)
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

// fetchContext returns the context the fetch loop waits for its next
// message under: fetching (which ends with the generation), also ended by
// the deadline enforcer when the partition passes max_zombies. Without it,
// a loop already waiting when the zombies appear would fetch, and hand to
// a worker, one more message before it pauses.
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

var (
	errRevoked  = errors.New("partition revoked or shutting down")
	errRunEnded = errors.New("partition run ended")
)
