package kafka

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
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
	// clock times the per-message bookkeeping; pool recycles the
	// messages the fetch loop hands to the workers.
	clock clock
	pool  messagePool

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
	// net is the reader's trouble reaching the brokers since it last
	// fetched a message (see NetworkState).
	net netTrouble
}

func newPartitionRun(g *generationRun, sub *subscription, partition int, start int64) *partitionRun {
	cfg := g.engine.cfg
	p := &partitionRun{
		gen: g, sub: sub, topic: sub.Topic, partition: partition, start: start,
		window:   newOffsetWindow(cfg.MaxInflight, cfg.MaxInflightBytes),
		pmetrics: g.engine.metrics.forPartition(sub.Topic, partition),
		log:      g.log.With(zap.String("topic", sub.Topic), zap.Int("partition", partition), zap.String("handler", sub.Handler)),
		clock:    newClock(),
	}
	p.highWater.Store(-1)
	p.position.Store(start)
	return p
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
	reader := e.openReader(p.topic, p.partition, func(line string) { p.net.failed(e.brokers.Addrs(), line, time.Now()) })
	defer func() {
		if err := conn.CloseWithin(cfg.CloseTimeout, "partition reader", reader.Close); err != nil {
			p.log.Warn("partition reader did not close cleanly", zap.Error(err))
		}
	}()
	e.live.add(p)
	defer e.live.remove(p)
	if err := reader.SetOffset(p.start); err != nil {
		reason := fmt.Sprintf("cannot position the partition reader at offset %d: %v", p.start, err)
		p.unusable.Store(&reason)
		p.log.Error("partition cannot be consumed this generation; liveness fails until it can", zap.Int64("offset", p.start), zap.Error(err))
		<-genCtx.Done()
		return
	}

	lanes := newLanes(p.sub, cfg.MaxInflight)
	calls, blocks := newCallSlots(lanes.workers()), newBlockSlots(lanes.workers())
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

	running := p.startWorkers(genCtx, handlerCtx, lanes, calls, blocks)
	stopDeadlines := make(chan struct{})
	var deadlines sync.WaitGroup
	deadlines.Go(func() { p.enforceDeadlines(calls, stopDeadlines) })
	defer func() { close(stopDeadlines); deadlines.Wait() }()

	p.fetch(genCtx, fetching, reader, lanes) // returns once genCtx has ended
	p.ending.Store(true)
	lanes.close()
	p.drain(running, calls, cancelHandlers)
}

// startWorkers starts one worker per lane, each on its lane's queue and
// labelled with its handler; the returned group waits for them.
func (p *partitionRun) startWorkers(genCtx, handlerCtx context.Context, lanes *lanes, calls *callSlots, blocks *blockSlots) *sync.WaitGroup {
	var running sync.WaitGroup
	for i := range lanes.workers() {
		w := &worker{p: p, index: i, genCtx: genCtx, handlerCtx: handlerCtx, inbox: lanes.inbox(i),
			slot: &calls.slots[i], block: &blocks.slots[i]}
		running.Go(func() {
			pprof.SetGoroutineLabels(p.sub.labels)
			w.work()
		})
	}
	return &running
}

// drain lets the workers finish the calls in hand once fetching ended:
// their context ends when the drain timeout passes, and calls still
// running ZombieGrace later are abandoned. What was fetched and not
// finished is then released, for redelivery.
func (p *partitionRun) drain(running *sync.WaitGroup, calls *callSlots, cancelHandlers context.CancelCauseFunc) {
	e := p.gen.engine
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
	allDone := make(chan struct{})
	go func() { running.Wait(); close(allDone) }()
	abandonAfter := time.NewTimer(drain + e.cfg.ZombieGrace)
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
// zombie, or abandoned: was is the state it left.
func (p *partitionRun) callReturned(was int32) {
	switch was {
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

var (
	errRevoked  = errors.New("partition revoked or shutting down")
	errRunEnded = errors.New("partition run ended")
)
