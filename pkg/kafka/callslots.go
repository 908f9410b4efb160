package kafka

import (
	"context"
	"sync/atomic"
	"time"
)

// callSlots are a partition's running handler calls, one slot per worker,
// for its deadline enforcer, the drain, liveness and /debug/consumer. A
// context loaded from a slot may have been reused for its worker's next
// call by the time it is acted on: each method below decides under the
// context's lock, from the call it holds then (see callContext).
type callSlots struct {
	slots []atomic.Pointer[callContext]
}

func newCallSlots(workers int) *callSlots {
	return &callSlots{slots: make([]atomic.Pointer[callContext], workers)}
}

// expire cancels every running call whose deadline has passed at now.
func (s *callSlots) expire(now time.Time) {
	for i := range s.slots {
		if c := s.slots[i].Load(); c != nil {
			c.expire(c.clock.reading(now))
		}
	}
}

// expire cancels c's call if it is running and its deadline has passed at
// now.
func (c *callContext) expire(now int64) {
	c.mu.Lock()
	var funcs map[*func()]struct{}
	if c.state == callRunning && now >= c.deadline {
		funcs = c.cancelLocked(context.DeadlineExceeded, now)
	}
	c.mu.Unlock()
	runAfterFuncs(funcs)
}

// zombies marks, and returns how many newly became, calls still running
// at least grace after their context ended.
func (s *callSlots) zombies(now time.Time, grace time.Duration) int {
	n := 0
	for i := range s.slots {
		if c := s.slots[i].Load(); c != nil && c.markZombie(c.clock.reading(now), grace) {
			n++
		}
	}
	return n
}

// markZombie marks c's call a zombie if it is still running at least
// grace after its context ended at now, and reports whether this call did
// so (false once it was marked, abandoned or has returned).
func (c *callContext) markZombie(now int64, grace time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != callRunning || c.err == nil || now-c.ended < int64(grace) {
		return false
	}
	c.state = callZombie
	return true
}

// abandon cancels every call still running and marks it abandoned; it
// returns the offsets of those it marked, and how many of them had not yet
// been counted as zombies.
func (s *callSlots) abandon() (offsets []int64, newZombies int) {
	for i := range s.slots {
		c := s.slots[i].Load()
		if c == nil {
			continue
		}
		if first, ok, wasRunning := c.abandon(); ok {
			offsets = append(offsets, first)
			if wasRunning {
				newZombies++
			}
		}
	}
	return offsets, newZombies
}

// abandon cancels c's call and marks it abandoned, unless it returned or
// was abandoned already. ok says whether it did; first is the call's first
// offset; wasRunning whether it had not even been counted as a zombie.
func (c *callContext) abandon() (first int64, ok, wasRunning bool) {
	c.mu.Lock()
	if c.state == callReturned || c.state == callAbandoned {
		c.mu.Unlock()
		return 0, false, false
	}
	wasRunning, c.state = c.state == callRunning, callAbandoned
	first = c.first
	funcs := c.cancelLocked(context.Canceled, c.clock.now())
	c.mu.Unlock()
	runAfterFuncs(funcs)
	return first, true, wasRunning
}

// cancelAll cancels every running call.
func (s *callSlots) cancelAll() {
	for i := range s.slots {
		if c := s.slots[i].Load(); c != nil {
			c.cancelRunning()
		}
	}
}

// cancelRunning cancels c's call, if it holds one.
func (c *callContext) cancelRunning() {
	c.mu.Lock()
	var funcs map[*func()]struct{}
	if c.state != callReturned {
		funcs = c.cancelLocked(context.Canceled, c.clock.now())
	}
	c.mu.Unlock()
	runAfterFuncs(funcs)
}

// callInfo is a running call as seen at one moment, for liveness and
// /debug/consumer.
type callInfo struct {
	start       time.Time
	first, last int64
	cancelled   bool
	zombie      bool // a zombie, or abandoned
}

// info returns c's call as it is now; ok is false when c holds none.
func (c *callContext) info() (callInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == callReturned {
		return callInfo{}, false
	}
	return callInfo{start: c.clock.time(c.start), first: c.first, last: c.last, cancelled: c.err != nil, zombie: c.state != callRunning}, true
}

// holding returns the running call whose messages include offset.
func (s *callSlots) holding(offset int64) (callInfo, bool) {
	for i := range s.slots {
		if c := s.slots[i].Load(); c != nil {
			if info, ok := c.info(); ok && info.first <= offset && offset <= info.last {
				return info, true
			}
		}
	}
	return callInfo{}, false
}

// deadlineTick is how often a partition's deadline enforcer checks its
// calls' deadlines: a twentieth of the timeout, between 10ms and 250ms.
func deadlineTick(timeout time.Duration) time.Duration {
	return min(max(timeout/20, 10*time.Millisecond), 250*time.Millisecond)
}
