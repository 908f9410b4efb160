package kafka

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

func TestCallContextExpiresAtItsDeadline(t *testing.T) {
	now := time.Now()
	s := newCallSlots(1)
	c := newCallContext(context.Background(), now, now.Add(50*time.Millisecond))
	s.slots[0].Store(c)
	if d, ok := c.Deadline(); !ok || !d.Equal(now.Add(50*time.Millisecond)) {
		t.Fatalf("deadline %v %v", d, ok)
	}
	s.expire(now.Add(49 * time.Millisecond))
	if c.Err() != nil {
		t.Fatal("cancelled before its deadline")
	}
	done := c.Done()
	s.expire(now.Add(50 * time.Millisecond))
	select {
	case <-done:
	default:
		t.Fatal("Done not closed at the deadline")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v", c.Err())
	}
}

// TestCallContextErrFollowsTheContextContract: Err is only ever
// context.Canceled or context.DeadlineExceeded (handlers compare against
// them); why a call ended at revoke or shutdown is its parent's cause,
// which context.Cause finds, while a call's own deadline is its cause.
func TestCallContextErrFollowsTheContextContract(t *testing.T) {
	parent, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("drain timeout passed"))
	c := newCallContext(parent, time.Now(), time.Now().Add(time.Hour))
	if c.Err() != context.Canceled || context.Cause(c).Error() != "drain timeout passed" {
		t.Fatalf("Err %v, Cause %v", c.Err(), context.Cause(c))
	}
	<-c.Done()

	live, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	d := newCallContext(live, time.Now(), time.Now())
	d.cancel(context.DeadlineExceeded)
	if d.Err() != context.DeadlineExceeded || context.Cause(d) != context.DeadlineExceeded {
		t.Fatalf("Err %v, Cause %v", d.Err(), context.Cause(d))
	}
}

// TestDerivedContextsNeedNoGoroutine: contexts a handler derives from its
// call context are cancelled with it, without the standard library's
// goroutine per derived context. Counted are only the goroutines the
// context package starts to watch a parent it cannot hook into, not the
// process's: those of an embedded broker or of earlier tests' clients
// come and go on their own.
func TestDerivedContextsNeedNoGoroutine(t *testing.T) {
	const watcher = "context.(*cancelCtx).propagateCancel"
	c := newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
	before := goroutinesCreatedBy(watcher)
	var children []context.Context
	for range 1000 {
		child, cancel := context.WithTimeout(c, time.Hour)
		defer cancel()
		children = append(children, child)
	}
	if grown := goroutinesCreatedBy(watcher) - before; grown > 0 {
		t.Fatalf("%d goroutines started by %s for 1000 derived contexts", grown, watcher)
	}
	c.cancel(context.DeadlineExceeded)
	for _, child := range children {
		select {
		case <-child.Done():
		case <-time.After(consumertest.Patience):
			t.Fatal("derived context not cancelled")
		}
	}
	stopped := c.AfterFunc(func() {})
	if stopped() {
		t.Fatal("AfterFunc on a cancelled context cannot be stopped")
	}
}

// ran reports whether c was closed within a short bounded wait: long
// enough for a goroutine that is due to run, short enough that a test of
// something that must not happen stays quick.
func ran(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	case <-time.After(100 * time.Millisecond):
		return false
	}
}

// TestCallContextAfterFuncRunsOnlyUnstoppedFuncsOnceCancelled: a func
// registered on a live call context waits for its cancellation; stop
// prevents it (true) only while it is still registered; after the
// cancellation a new func runs at once and cannot be stopped.
func TestCallContextAfterFuncRunsOnlyUnstoppedFuncsOnceCancelled(t *testing.T) {
	c := newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
	stoppedRan, keptRan, lateRan := make(chan struct{}), make(chan struct{}), make(chan struct{})
	stopStopped := c.AfterFunc(func() { close(stoppedRan) })
	stopKept := c.AfterFunc(func() { close(keptRan) })
	if ran(keptRan) {
		t.Fatal("an AfterFunc ran before its context was cancelled")
	}
	if !stopStopped() {
		t.Fatal("stop before the cancellation did not report that it prevented the func")
	}
	if stopStopped() {
		t.Fatal("a second stop reported preventing the func again")
	}
	c.cancel(context.Canceled)
	if !ran(keptRan) {
		t.Fatal("an AfterFunc did not run once its context was cancelled")
	}
	if stopKept() {
		t.Fatal("stop after the func ran reported that it prevented it")
	}
	if ran(stoppedRan) {
		t.Fatal("a stopped AfterFunc ran")
	}
	stopLate := c.AfterFunc(func() { close(lateRan) })
	if !ran(lateRan) {
		t.Fatal("an AfterFunc registered after the cancellation did not run")
	}
	if stopLate() {
		t.Fatal("stop of a func registered after the cancellation reported preventing it")
	}
}

// TestCallContextDoneAfterTheCancellationIsClosed: a Done channel first
// asked for after the cancellation is already closed, and a second
// cancellation changes neither Err nor when the context ended.
func TestCallContextDoneAfterTheCancellationIsClosed(t *testing.T) {
	t0 := time.Now()
	c := newCallContext(context.Background(), t0, t0.Add(time.Hour))
	c.cancelAt(context.DeadlineExceeded, t0.Add(time.Second))
	select {
	case <-c.Done():
	default:
		t.Fatal("Done asked for after the cancellation is not closed")
	}
	c.cancelAt(context.Canceled, t0.Add(time.Minute))
	if c.Err() != context.DeadlineExceeded || c.ended.Load() != t0.Add(time.Second).UnixNano() {
		t.Fatalf("a second cancellation changed Err to %v, ended to %d", c.Err(), c.ended.Load())
	}
}

// TestCallLifeStatesMoveOnce: a call is a zombie, abandoned or returned
// exactly once; abandoning says whether it had been counted as a zombie
// (so the count is not added twice), and returning says what it left.
func TestCallLifeStatesMoveOnce(t *testing.T) {
	newCall := func() *callContext {
		return newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
	}
	running := newCall()
	if ok, wasRunning := running.markAbandoned(); !ok || !wasRunning {
		t.Fatalf("abandoning a running call: ok %v, wasRunning %v", ok, wasRunning)
	}
	if ok, _ := running.markAbandoned(); ok {
		t.Fatal("an abandoned call was abandoned again")
	}
	if running.markZombie() {
		t.Fatal("an abandoned call became a zombie")
	}
	if was := running.returned(); was != callAbandoned {
		t.Fatalf("an abandoned call returned from state %d", was)
	}

	zombie := newCall()
	if !zombie.markZombie() || zombie.markZombie() {
		t.Fatal("a running call must become a zombie exactly once")
	}
	if ok, wasRunning := zombie.markAbandoned(); !ok || wasRunning {
		t.Fatalf("abandoning a zombie: ok %v, wasRunning %v", ok, wasRunning)
	}

	done := newCall()
	if was := done.returned(); was != callRunning {
		t.Fatalf("a running call returned from state %d", was)
	}
	if ok, _ := done.markAbandoned(); ok {
		t.Fatal("a call that returned was abandoned")
	}
	if done.markZombie() {
		t.Fatal("a call that returned became a zombie")
	}
}

// slotsOf puts calls (nil for an empty slot) into slots of their own.
func slotsOf(calls ...*callContext) *callSlots {
	s := newCallSlots(len(calls))
	for i, c := range calls {
		s.slots[i].Store(c)
	}
	return s
}

// TestZombiesAreCallsRunningGraceAfterTheirContextEnded: a call whose
// context ended becomes a zombie exactly grace later, once; a call whose
// context has not ended never does, however long it runs.
func TestZombiesAreCallsRunningGraceAfterTheirContextEnded(t *testing.T) {
	const grace = 5 * time.Second
	t0 := time.Now()
	ended := newCallContext(context.Background(), t0, t0.Add(time.Second))
	live := newCallContext(context.Background(), t0, t0.Add(time.Hour))
	s := slotsOf(nil, ended, live)
	s.expire(t0.Add(time.Second))
	if n := s.zombies(t0.Add(time.Second+grace-time.Nanosecond), grace); n != 0 {
		t.Fatalf("%d zombies before the grace passed", n)
	}
	if n := s.zombies(t0.Add(time.Second+grace), grace); n != 1 {
		t.Fatalf("%d zombies once the grace passed, want 1", n)
	}
	if n := s.zombies(t0.Add(time.Hour), grace); n != 0 {
		t.Fatalf("%d more zombies: a zombie was counted twice or a live call counted", n)
	}
	if live.Err() != nil {
		t.Fatal("a call before its deadline was cancelled")
	}
}

// TestAbandonCancelsAndMarksEveryCallNotReturned: abandoning a partition's
// calls cancels every one in a slot, and returns the first offsets of
// those not yet returned (or abandoned) and how many of them were not
// already zombies.
func TestAbandonCancelsAndMarksEveryCallNotReturned(t *testing.T) {
	call := func(first int64) *callContext {
		c := newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
		c.first, c.last = first, first
		return c
	}
	running, zombie, returned := call(10), call(20), call(30)
	zombie.markZombie()
	returned.returned()
	s := slotsOf(running, nil, zombie, returned)
	offsets, newZombies := s.abandon()
	slices.Sort(offsets)
	if !slices.Equal(offsets, []int64{10, 20}) || newZombies != 1 {
		t.Fatalf("abandoned offsets %v, new zombies %d; want [10 20], 1", offsets, newZombies)
	}
	for _, c := range []*callContext{running, zombie, returned} {
		if c.Err() != context.Canceled {
			t.Fatalf("call at %d: Err %v after abandon, want Canceled", c.first, c.Err())
		}
	}
	if offsets, newZombies := s.abandon(); len(offsets) != 0 || newZombies != 0 {
		t.Fatalf("abandoning again returned %v, %d", offsets, newZombies)
	}
}

func TestCancelAllCancelsEveryRunningCall(t *testing.T) {
	a := newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
	b := newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
	slotsOf(a, nil, b).cancelAll()
	if !errors.Is(a.Err(), context.Canceled) || !errors.Is(b.Err(), context.Canceled) {
		t.Fatalf("after cancelAll: %v, %v", a.Err(), b.Err())
	}
}

// TestHoldingFindsTheCallWhoseOffsetsIncludeOne: a batch call holds every
// offset from its first to its last, both included, and no other.
func TestHoldingFindsTheCallWhoseOffsetsIncludeOne(t *testing.T) {
	c := newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
	c.first, c.last = 10, 12
	s := slotsOf(nil, c)
	for off, want := range map[int64]bool{9: false, 10: true, 11: true, 12: true, 13: false} {
		got, ok := s.holding(off)
		if ok != want || (ok && got != c) {
			t.Errorf("holding(%d) = %p, %v; want %v", off, got, ok, want)
		}
	}
}
