package kafka

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// startedCall returns a context holding a call started at start with its
// deadline, of the offsets first and last when given (else 0).
func startedCall(parent context.Context, start, deadline time.Time, offsets ...int64) *callContext {
	c := newCallContext(parent, newClock())
	first, last := int64(0), int64(0)
	if len(offsets) == 2 {
		first, last = offsets[0], offsets[1]
	}
	if !c.begin(c.clock.reading(start), c.clock.reading(deadline), first, last) {
		panic("a new call context refused its first call")
	}
	if parent.Err() != nil {
		c.cancelAt(context.Canceled, c.clock.reading(start)) // as invoke does
	}
	return c
}

func TestCallContextExpiresAtItsDeadline(t *testing.T) {
	now := time.Now()
	s := newCallSlots(1)
	c := startedCall(context.Background(), now, now.Add(50*time.Millisecond))
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
	c := startedCall(parent, time.Now(), time.Now().Add(time.Hour))
	if c.Err() != context.Canceled || context.Cause(c).Error() != "drain timeout passed" {
		t.Fatalf("Err %v, Cause %v", c.Err(), context.Cause(c))
	}
	<-c.Done()

	live, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	d := startedCall(live, time.Now(), time.Now())
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
	c := startedCall(context.Background(), time.Now(), time.Now().Add(time.Hour))
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
	c := startedCall(context.Background(), time.Now(), time.Now().Add(time.Hour))
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
	c := startedCall(context.Background(), t0, t0.Add(time.Hour))
	c.cancelAt(context.DeadlineExceeded, c.clock.reading(t0.Add(time.Second)))
	select {
	case <-c.Done():
	default:
		t.Fatal("Done asked for after the cancellation is not closed")
	}
	c.cancelAt(context.Canceled, c.clock.reading(t0.Add(time.Minute)))
	if c.Err() != context.DeadlineExceeded || c.ended != c.clock.reading(t0.Add(time.Second)) {
		t.Fatalf("a second cancellation changed Err to %v, ended to %d", c.Err(), c.ended)
	}
}

// TestCallLifeStatesMoveOnce: a call is a zombie, abandoned or returned
// exactly once; abandoning says whether it had been counted as a zombie
// (so the count is not added twice), and returning says what it left.
func TestCallLifeStatesMoveOnce(t *testing.T) {
	const grace = time.Second
	newCall := func() *callContext {
		c := startedCall(context.Background(), time.Now(), time.Now().Add(time.Hour))
		c.cancel(context.DeadlineExceeded)
		return c
	}
	later := func(c *callContext) int64 { return c.clock.now() + int64(grace) }
	running := newCall()
	if _, ok, wasRunning := running.abandon(); !ok || !wasRunning {
		t.Fatalf("abandoning a running call: ok %v, wasRunning %v", ok, wasRunning)
	}
	if _, ok, _ := running.abandon(); ok {
		t.Fatal("an abandoned call was abandoned again")
	}
	if running.markZombie(later(running), grace) {
		t.Fatal("an abandoned call became a zombie")
	}
	if was := running.end(running.clock.now()); was != callAbandoned {
		t.Fatalf("an abandoned call returned from state %d", was)
	}

	zombie := newCall()
	if !zombie.markZombie(later(zombie), grace) || zombie.markZombie(later(zombie), grace) {
		t.Fatal("a running call must become a zombie exactly once")
	}
	if _, ok, wasRunning := zombie.abandon(); !ok || wasRunning {
		t.Fatalf("abandoning a zombie: ok %v, wasRunning %v", ok, wasRunning)
	}

	done := newCall()
	if was := done.end(done.clock.now()); was != callRunning {
		t.Fatalf("a running call returned from state %d", was)
	}
	if _, ok, _ := done.abandon(); ok {
		t.Fatal("a call that returned was abandoned")
	}
	if done.markZombie(later(done), grace) {
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
	ended := startedCall(context.Background(), t0, t0.Add(time.Second))
	live := startedCall(context.Background(), t0, t0.Add(time.Hour))
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
		return startedCall(context.Background(), time.Now(), time.Now().Add(time.Hour), first, first)
	}
	running, zombie, returned := call(10), call(20), call(30)
	zombie.cancel(context.DeadlineExceeded)
	if !zombie.markZombie(zombie.clock.now(), 0) {
		t.Fatal("a cancelled call did not become a zombie")
	}
	returned.end(returned.clock.now())
	s := slotsOf(running, nil, zombie, returned)
	offsets, newZombies := s.abandon()
	slices.Sort(offsets)
	if !slices.Equal(offsets, []int64{10, 20}) || newZombies != 1 {
		t.Fatalf("abandoned offsets %v, new zombies %d; want [10 20], 1", offsets, newZombies)
	}
	for _, c := range []*callContext{running, returned} {
		if c.Err() != context.Canceled {
			t.Fatalf("call at %d: Err %v after abandon, want Canceled", c.first, c.Err())
		}
	}
	if zombie.Err() != context.DeadlineExceeded {
		t.Fatalf("the zombie's Err changed to %v", zombie.Err())
	}
	if offsets, newZombies := s.abandon(); len(offsets) != 0 || newZombies != 0 {
		t.Fatalf("abandoning again returned %v, %d", offsets, newZombies)
	}
}

func TestCancelAllCancelsEveryRunningCall(t *testing.T) {
	a := startedCall(context.Background(), time.Now(), time.Now().Add(time.Hour))
	b := startedCall(context.Background(), time.Now(), time.Now().Add(time.Hour))
	slotsOf(a, nil, b).cancelAll()
	if !errors.Is(a.Err(), context.Canceled) || !errors.Is(b.Err(), context.Canceled) {
		t.Fatalf("after cancelAll: %v, %v", a.Err(), b.Err())
	}
}

// TestHoldingFindsTheCallWhoseOffsetsIncludeOne: a batch call holds every
// offset from its first to its last, both included, and no other.
func TestHoldingFindsTheCallWhoseOffsetsIncludeOne(t *testing.T) {
	c := startedCall(context.Background(), time.Now(), time.Now().Add(time.Hour), 10, 12)
	s := slotsOf(nil, c)
	for off, want := range map[int64]bool{9: false, 10: true, 11: true, 12: true, 13: false} {
		got, ok := s.holding(off)
		if ok != want || (ok && (got.first != 10 || got.last != 12)) {
			t.Errorf("holding(%d) = %+v, %v; want %v", off, got, ok, want)
		}
	}
	c.end(c.clock.now())
	if got, ok := s.holding(11); ok {
		t.Errorf("holding(11) = %+v after the call returned", got)
	}
}

// TestTheEnginesLookAtACallContextIsNoEscape: before it calls the chain,
// the engine asks a call's context why it cannot run — nil while it can,
// its parent's cause once the drain ended, its own error once its deadline
// passed — without retiring it, as a handler's Err would.
func TestTheEnginesLookAtACallContextIsNoEscape(t *testing.T) {
	now := time.Now()
	live := startedCall(context.Background(), now, now.Add(time.Hour))
	if err := live.cause(); err != nil {
		t.Fatalf("a live call's cause is %v", err)
	}
	live.cancel(context.DeadlineExceeded)
	if err := live.cause(); err != context.DeadlineExceeded {
		t.Fatalf("a call past its deadline: cause %v", err)
	}
	parent, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("drain timeout passed"))
	cut := startedCall(parent, now, now.Add(time.Hour))
	if err := cut.cause(); err == nil || err.Error() != "drain timeout passed" {
		t.Fatalf("a call after the drain: cause %v", err)
	}
	for _, c := range []*callContext{live, cut} {
		c.end(c.clock.now())
		if !c.begin(c.clock.now(), c.clock.now()+int64(time.Hour), 1, 1) {
			t.Fatal("the engine's look retired the context")
		}
	}
}
