package kafka

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// ctxRecorder is a handler that keeps each call's context, by offset, and
// lets a test touch it during the call.
type ctxRecorder struct {
	mu    sync.Mutex
	ctxs  map[int64]context.Context
	touch map[int64]func(context.Context)
}

func (r *ctxRecorder) Handle(ctx context.Context, m *message.Message) error {
	r.mu.Lock()
	r.ctxs[m.Offset] = ctx // compared only: the contract forbids using it later
	touch := r.touch[m.Offset]
	r.mu.Unlock()
	if touch != nil {
		touch(ctx)
	}
	return nil
}

// TestAnEscapedCallContextIsNeverReused: a worker makes its next call
// with the same context when the call before never looked at it; once
// Done, Err or AfterFunc was called during a call — someone may wait on
// it, poll it or have derived a context from it — that context is never
// used again: it ends with its call and stays ended, and the next call
// gets a new one (which is then reused while untouched).
func TestAnEscapedCallContextIsNeverReused(t *testing.T) {
	for name, touch := range map[string]func(context.Context){
		"Done":       func(ctx context.Context) { _ = ctx.Done() },
		"Err":        func(ctx context.Context) { _ = ctx.Err() },
		"AfterFunc":  func(ctx context.Context) { context.AfterFunc(ctx, func() {}) },
		"WithCancel": func(ctx context.Context) { _, cancel := context.WithCancel(ctx); defer cancel() },
	} {
		t.Run(name, func(t *testing.T) {
			rec := &ctxRecorder{ctxs: map[int64]context.Context{}, touch: map[int64]func(context.Context){1: touch}}
			r := newRig(t, testConfig(nil), registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(1)},
				registry.Empty().Add("h", rec))
			for _, m := range messages(0, 4) {
				r.deliver(m)
			}
			c := rec.ctxs
			if c[0] != c[1] {
				t.Fatal("an untouched context was not reused for the next call")
			}
			if c[2] == c[1] {
				t.Fatalf("a context whose %s was called during its call was used again", name)
			}
			if c[3] != c[2] {
				t.Fatal("the new context, untouched, was not reused")
			}
			select {
			case <-c[1].Done():
			default:
				t.Fatal("the escaped context did not end with its call")
			}
			if c[1].Err() != context.Canceled {
				t.Fatalf("the escaped context's Err is %v after its call, want Canceled", c[1].Err())
			}
		})
	}
}

// TestAZombieCallsContextIsNeverReused: a call that ignored its ended
// context and ran on past ZombieGrace leaves its context retired, even if
// it never looked at it: the next call gets a new one.
func TestAZombieCallsContextIsNeverReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		zombieCounted := make(chan struct{})
		rec := &ctxRecorder{ctxs: map[int64]context.Context{}, touch: map[int64]func(context.Context){}}
		var r *rig
		rec.touch[1] = func(context.Context) { <-zombieCounted } // ignores its context
		cfg := testConfig(nil)
		cfg.HandlerTimeout, cfg.ZombieGrace = time.Second, time.Second
		r = newRig(t, cfg, registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(1)},
			registry.Empty().Add("h", rec))
		r.deliver(messages(0, 1)...)
		wait := r.deliverAsync(messages(1, 1)...)
		for r.p.zombies.Load() == 0 {
			time.Sleep(100 * time.Millisecond) // on the bubble's clock
		}
		rec.mu.Lock()
		calledAfterTheZombie := rec.ctxs[1] != nil
		rec.mu.Unlock()
		close(zombieCounted)
		wait()
		if !calledAfterTheZombie || r.p.zombies.Load() != 0 {
			t.Fatalf("zombie call recorded %v, zombies left %d", calledAfterTheZombie, r.p.zombies.Load())
		}
		r.deliver(messages(2, 1)...)
		if rec.ctxs[0] != rec.ctxs[1] {
			t.Fatal("the untouched context was not reused for the call that became a zombie")
		}
		if rec.ctxs[2] == rec.ctxs[1] {
			t.Fatal("the zombie call's context was used again")
		}
	})
}

// TestAReusedCallContextIsJudgedByItsNewCall: the deadline enforcer, the
// drain and liveness may have loaded a worker's context during one call
// and act on it after it was reused for the next: what they do is decided
// by the call it holds then — its deadline, when it ended (if it did),
// its offsets — never by the call before.
func TestAReusedCallContextIsJudgedByItsNewCall(t *testing.T) {
	const grace = 5 * time.Second
	t0 := time.Now()
	c := startedCall(context.Background(), t0, t0.Add(time.Second), 5, 5)
	s := slotsOf(c)
	s.expire(t0.Add(time.Second)) // the first call runs past its deadline, then returns in time
	if was := c.end(c.clock.reading(t0.Add(1100 * time.Millisecond))); was != callRunning {
		t.Fatalf("the first call returned from state %d", was)
	}
	if !c.begin(c.clock.reading(t0.Add(2*time.Second)), c.clock.reading(t0.Add(time.Hour)), 6, 6) {
		t.Fatal("a context that never escaped and whose call returned in time was refused for the next call")
	}
	// An enforcer that loaded c during the first call acts now.
	s.expire(t0.Add(3 * time.Second))
	if n := s.zombies(t0.Add(time.Second+grace), grace); n != 0 {
		t.Fatalf("the new call was counted a zombie for the first call's deadline (%d)", n)
	}
	if info, ok := c.info(); !ok || info.cancelled || info.zombie || !info.start.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("the new call is %+v, %v; want running, not cancelled, started at t0+2s", info, ok)
	}
	if _, ok := s.holding(5); ok {
		t.Fatal("the first call's offset is held by the new call")
	}
	if info, ok := s.holding(6); !ok || info.first != 6 {
		t.Fatalf("holding(6) = %+v, %v", info, ok)
	}
	if d, _ := c.Deadline(); !d.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Deadline %v, want the new call's", d)
	}
	s.expire(t0.Add(time.Hour)) // the new call's own deadline
	if info, _ := c.info(); !info.cancelled {
		t.Fatal("the new call was not cancelled at its own deadline")
	}
	if offsets, _ := s.abandon(); len(offsets) != 1 || offsets[0] != 6 {
		t.Fatalf("abandoned %v, want the new call's offset 6", offsets)
	}
}

// TestTheEnforcerNeverActsOnAReusedContextsPreviousCall races a worker
// making calls on one reused context — every other call already past its
// deadline when it starts, the others with an hour to go — against an
// enforcer that expires, counts zombies (with no grace) and reads the
// slot without pause. A call with an hour to go is never cancelled nor
// counted a zombie, whatever the enforcer had loaded; one past its
// deadline may be cancelled and counted. Run with -race: every field is
// read and written under the context's lock.
func TestTheEnforcerNeverActsOnAReusedContextsPreviousCall(t *testing.T) {
	const calls = 20_000
	clk := newClock()
	s := newCallSlots(1)
	stop := make(chan struct{})
	var zombies atomic.Int64
	var enforcer sync.WaitGroup
	enforcer.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			now := time.Now()
			s.expire(now)
			zombies.Add(int64(s.zombies(now, 0)))
			s.holding(0)
		}
	})
	var ctx *callContext
	for i := range int64(calls) {
		now := clk.now()
		deadline := now + int64(time.Hour)
		if i%2 == 1 {
			deadline = now - 1
		}
		if ctx == nil || !ctx.begin(now, deadline, i, i) {
			ctx = newCallContext(context.Background(), clk)
			ctx.begin(now, deadline, i, i)
		}
		s.slots[0].Store(ctx)
		info, _ := ctx.info()
		s.slots[0].Store(nil)
		was := ctx.end(clk.now())
		if i%2 == 0 && (info.cancelled || was != callRunning) {
			close(stop)
			enforcer.Wait()
			t.Fatalf("call %d, an hour before its deadline, was cancelled (%v) or left state %d", i, info.cancelled, was)
		}
		if was == callZombie {
			zombies.Add(-1)
		}
	}
	close(stop)
	enforcer.Wait()
	if zombies.Load() != 0 {
		t.Fatalf("%d zombie counts not taken back", zombies.Load())
	}
}
