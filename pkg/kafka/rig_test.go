package kafka

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// fakeLetters records letters, failing writes as fail says.
type fakeLetters struct {
	mu     sync.Mutex
	got    []message.Message
	writes int
	// fail, when set, decides the error of the n-th write (from 1).
	fail func(n int, letter message.Message) error
}

func (f *fakeLetters) write(_ context.Context, letter message.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.fail != nil {
		if err := f.fail(f.writes, letter); err != nil {
			return err
		}
	}
	f.got = append(f.got, letter)
	return nil
}

func (f *fakeLetters) letters() []message.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]message.Message(nil), f.got...)
}

func (f *fakeLetters) setFail(fail func(int, message.Message) error) {
	f.mu.Lock()
	f.fail = fail
	f.mu.Unlock()
}

// rig drives one worker of one partition through the engine's real
// delivery path — call chain, attempt deadlines, outcomes, letters — with
// no broker: the letters go to a fakeLetters.
type rig struct {
	t       testing.TB
	e       *Engine
	p       *partitionRun
	w       *worker
	letters *fakeLetters
	reg     *prometheus.Registry
	logs    *observer.ObservedLogs
	// endGeneration ends the worker's generation (revoke), as the drain
	// begins; endDrain passes the drain deadline.
	endGeneration context.CancelFunc
	endDrain      context.CancelCauseFunc
}

// newRig binds sub (topic "t" unless it names one) to the handler
// registered as sub.Handler in handlers, under cfg, and runs a worker of
// its partition 0.
func newRig(t testing.TB, cfg Config, sub registry.Subscription, handlers *registry.Registry) *rig {
	t.Helper()
	if sub.Topic == "" {
		sub.Topic = "t"
	}
	return newRigOn(t, cfg, sub, handlers, sub.Topic)
}

// newRigOn is newRig with the worker on topic, which may be sub's retry
// topic.
func newRigOn(t testing.TB, cfg Config, sub registry.Subscription, handlers *registry.Registry, topic string) *rig {
	t.Helper()
	e, letters, reg, logs := newRigEngine(t, cfg, sub, handlers)
	g := &generationRun{engine: e, gen: &kafkago.Generation{ID: 1}, log: e.log}
	p := newPartitionRun(g, e.subs[topic], 0, 0)
	calls, blocks := newCallSlots(1), newBlockSlots(1)
	p.calls.Store(calls)
	p.blocks.Store(blocks)
	e.live.add(p)
	genCtx, endGeneration := context.WithCancel(context.Background())
	handlerCtx, endDrain := context.WithCancelCause(p.sub.labels)
	stop := make(chan struct{})
	var deadlines sync.WaitGroup
	deadlines.Go(func() { p.enforceDeadlines(calls, stop) })
	t.Cleanup(func() {
		endGeneration()
		endDrain(errRunEnded)
		close(stop)
		deadlines.Wait()
	})
	return &rig{t: t, e: e, p: p, letters: letters, reg: reg, logs: logs, endGeneration: endGeneration, endDrain: endDrain,
		w: &worker{p: p, genCtx: genCtx, handlerCtx: handlerCtx, slot: &calls.slots[0], block: &blocks.slots[0]}}
}

// newRigEngine builds an engine for sub alone whose letters go to a
// fakeLetters and whose logs are observed.
func newRigEngine(t testing.TB, cfg Config, sub registry.Subscription, handlers *registry.Registry) (*Engine, *fakeLetters, *prometheus.Registry, *observer.ObservedLogs) {
	t.Helper()
	cfg.Subscriptions = []registry.Subscription{sub}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	e, err := NewEngine(cfg, NewCluster(cfg, zap.NewNop()), handlers, m, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	letters := &fakeLetters{}
	e.letters = letters
	return e, letters, reg, logs
}

// messages makes n messages of topic "t" from offset from on, values "0",
// "1", ….
func messages(from, n int) []*message.Message {
	out := make([]*message.Message, n)
	for i := range out {
		out[i] = &message.Message{Topic: "t", Offset: int64(from + i), Key: []byte("k"), Value: []byte{byte('0' + (from+i)%10)}}
	}
	return out
}

// deliver admits msgs to the partition's window, as the fetch loop does,
// and delivers them on the rig's worker.
func (r *rig) deliver(msgs ...*message.Message) {
	r.t.Helper()
	for _, m := range msgs {
		if !r.p.window.tryAdmit(m.Offset, delivery.Size(m), r.p.clock.now()) {
			r.t.Fatalf("window full at offset %d", m.Offset)
		}
	}
	r.w.deliver(msgs, 0)
}

// deliverAsync delivers in the background; wait returns when it is done.
func (r *rig) deliverAsync(msgs ...*message.Message) (wait func()) {
	for _, m := range msgs {
		if !r.p.window.tryAdmit(m.Offset, delivery.Size(m), r.p.clock.now()) {
			r.t.Fatalf("window full at offset %d", m.Offset)
		}
	}
	done := make(chan struct{})
	go func() { defer close(done); r.w.deliver(msgs, 0) }()
	return func() {
		r.t.Helper()
		select {
		case <-done:
		case <-time.After(consumertest.Patience):
			r.t.Fatal("delivery did not end")
		}
	}
}

func (r *rig) outcome(o delivery.Outcome) int {
	return int(testutil.ToFloat64(r.e.metrics.messages.WithLabelValues(r.p.topic, r.p.sub.Handler, string(o))))
}

// outcomes sums every outcome: each delivered message must add exactly one.
func (r *rig) outcomes() int {
	n := 0
	for _, o := range delivery.Outcomes() {
		n += r.outcome(o)
	}
	return n
}

func (r *rig) committable() int64 {
	off, _ := r.p.window.committable()
	return off
}

// blocked returns the worker's block, or nil.
func (r *rig) blocked() *blockedState { return r.w.block.state.Load() }

// failLetters makes the first n letter writes fail with err, and returns
// what blocked the worker when the next write succeeded.
func (r *rig) failLetters(n int, err error) (blockedBeforeSuccess func() *blockedState) {
	var seen atomic.Pointer[blockedState]
	r.letters.setFail(func(i int, _ message.Message) error {
		if i <= n {
			return err
		}
		seen.Store(r.blocked())
		return nil
	})
	return seen.Load
}

// gate holds stuck handlers until it opens; opening twice is fine, so a
// test may open it and also leave it to its cleanup.
type gate struct {
	c    chan struct{}
	once sync.Once
}

func newGate() *gate  { return &gate{c: make(chan struct{})} }
func (g *gate) wait() { <-g.c }
func (g *gate) open() { g.once.Do(func() { close(g.c) }) }

var errBusy = errors.New("downstream busy")
