package kafka

import (
	"context"
	"sync"
	"time"
)

// callContext is the context of one handler call (one attempt). It
// carries the attempt's deadline and is cancelled by its partition's
// deadline enforcer when the deadline passes, or at once when the drain
// ends.
// Compared with context.WithTimeout it costs no runtime timer per call
// (measured: WithTimeout was 4 allocations and about 1µs of the engine's
// 1.3µs per message), and no allocation when it is reused (below).
//
// Err returns context.DeadlineExceeded or context.Canceled, as the context
// contract requires; why a call was cancelled at revoke or shutdown is the
// cause of its parent, which context.Cause finds. It implements AfterFunc,
// so contexts a handler derives from it are cancelled without the
// standard library starting a goroutine for each.
//
// Reuse. A worker makes its next call with the same callContext only when
// no one can tell: its call returned in time (it was never a zombie nor
// abandoned) and the context did not escape — neither Done, Err nor
// AfterFunc was called on it, during the call or since, so no one waits
// on it, polls it, or derived a context from it (context.WithCancel and
// its kin call Done). A context that escaped is cancelled when its call
// returns and is never used again: the worker allocates a new one. Every
// field of a call is written under mu, and whoever acts on a call from
// outside the worker — the deadline enforcer, the drain, liveness and
// /debug/consumer — decides under mu, from the call the context holds at
// that moment, so a context reused for a later call is never cancelled,
// counted as a zombie or reported for the call before it. What a handler
// may not do (message.Handler's contract) is use ctx after Handle
// returned: that is the one use that could observe a later call.
type callContext struct {
	parent context.Context // the worker's handler context: the same for each call of the context
	clock  clock

	mu sync.Mutex
	// start and deadline (clock readings) and the offsets of the call's
	// first and last messages; for the deadline, diagnostics and abandon.
	start, deadline, first, last int64
	done                         chan struct{} // created on first Done
	err                          error
	funcs                        map[*func()]struct{} // keyed by a pointer of their own: no counter to keep
	// retired: the context never holds another call. Set when it
	// escaped (Done, Err or AfterFunc was called: someone may wait on or
	// poll it) and when its call ends as a zombie or abandoned.
	retired bool
	// ended is when the context was cancelled (a clock reading; 0 while
	// it is not), for zombie detection; state is where the call is in its
	// life (callRunning, callZombie, callAbandoned, callReturned), so
	// that a call returning just as the deadline enforcer marks it is
	// counted exactly once, and taken back exactly once.
	ended int64
	state int32
}

const (
	callRunning int32 = iota
	// callZombie: still running ZombieGrace after its context ended.
	callZombie
	// callAbandoned: a zombie its partition stopped waiting for at revoke
	// or shutdown.
	callAbandoned
	// callReturned: the call returned; the context holds no call.
	callReturned
)

// newCallContext returns a context that holds no call yet: begin starts
// one.
func newCallContext(parent context.Context, clk clock) *callContext {
	return &callContext{parent: parent, clock: clk, state: callReturned}
}

// begin makes c the context of a call started at start, with its
// deadline, handling the offsets first to last. It returns false, changing
// nothing, when c cannot be reused: it holds a call, or is retired.
func (c *callContext) begin(start, deadline, first, last int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != callReturned || c.retired {
		return false
	}
	c.start, c.deadline, c.first, c.last = start, deadline, first, last
	c.err, c.ended, c.state = nil, 0, callRunning
	return true
}

// end records that c's call returned at now, and returns the state it
// left: a zombie's or an abandoned call's counts must be taken back. Only
// a call that was still running leaves its context fit for reuse. The
// context ends with the call (contexts derived from it end with it).
func (c *callContext) end(now int64) (was int32) {
	c.mu.Lock()
	was, c.state = c.state, callReturned
	if was != callRunning {
		c.retired = true
	}
	funcs := c.cancelLocked(context.Canceled, now)
	c.mu.Unlock()
	runAfterFuncs(funcs)
	return was
}

func (c *callContext) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clock.time(c.deadline), true
}

func (c *callContext) Value(key any) any { return c.parent.Value(key) }

func (c *callContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retired = true
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

func (c *callContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retired = true
	return c.err
}

// AfterFunc runs f in its own goroutine once the context is cancelled;
// stop reports whether it prevented that.
func (c *callContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retired = true
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	if c.funcs == nil {
		c.funcs = map[*func()]struct{}{}
	}
	key := &f
	c.funcs[key] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.funcs[key]
		delete(c.funcs, key)
		return ok
	}
}

// cause is why the call cannot run, or nil: the engine's own look at the
// context before it calls the chain, which is no escape.
func (c *callContext) cause() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err == nil {
		return nil
	}
	if cause := context.Cause(c.parent); cause != nil {
		return cause
	}
	return err
}

// cancel ends the context with err (context.Canceled or
// context.DeadlineExceeded); later calls do nothing.
func (c *callContext) cancel(err error) { c.cancelAt(err, c.clock.now()) }

// cancelAt is cancel for a caller that already read the clock: now is
// when the context ended, from which a call still running becomes a
// zombie after ZombieGrace.
func (c *callContext) cancelAt(err error, now int64) {
	c.mu.Lock()
	funcs := c.cancelLocked(err, now)
	c.mu.Unlock()
	runAfterFuncs(funcs)
}

// cancelLocked cancels c, under c.mu, and returns the AfterFuncs to run
// once c.mu is released.
func (c *callContext) cancelLocked(err error, now int64) map[*func()]struct{} {
	if c.err != nil {
		return nil
	}
	c.err, c.ended = err, now
	if c.done != nil {
		close(c.done)
	}
	funcs := c.funcs
	c.funcs = nil
	return funcs
}

func runAfterFuncs(funcs map[*func()]struct{}) {
	for f := range funcs {
		go (*f)()
	}
}
