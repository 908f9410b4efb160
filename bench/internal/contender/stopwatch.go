package contender

import (
	"sync/atomic"
	"time"
)

// Stopwatch counts a contender's messages and times them from the first
// to the n-th, so that start-up (process, connections, joining the
// group) is outside the measure for every contender alike. Mark may be
// called by any goroutine; the channels let an observer sample the
// process at the first message, half way and the last.
type Stopwatch struct {
	n                 int64
	count             atomic.Int64
	firstNs, lastNs   atomic.Int64
	first, half, done chan struct{}
}

// NewStopwatch returns a stopwatch for n messages (n >= 1).
func NewStopwatch(n int64) *Stopwatch {
	return &Stopwatch{n: n, first: make(chan struct{}), half: make(chan struct{}), done: make(chan struct{})}
}

// Mark counts k messages handled (k is 1 for a per-message handler, the
// batch's length for a batch). The call that reaches the first message,
// the half and the n-th closes the matching channel; the first and the
// n-th also take the time. Messages beyond n are counted, not timed.
func (s *Stopwatch) Mark(k int64) {
	c := s.count.Add(k)
	prev := c - k
	if prev == 0 {
		s.firstNs.Store(time.Now().UnixNano())
		close(s.first)
	}
	if h := (s.n + 1) / 2; prev < h && c >= h {
		close(s.half)
	}
	if prev < s.n && c >= s.n {
		s.lastNs.Store(time.Now().UnixNano())
		close(s.done)
	}
}

// Finished reports whether n messages were counted.
func (s *Stopwatch) Finished() bool { return s.count.Load() >= s.n }

// First, Half and Done are closed when the first message, half of the n
// and the n-th were counted.
func (s *Stopwatch) First() <-chan struct{} { return s.first }

// Half is closed when (n+1)/2 messages were counted.
func (s *Stopwatch) Half() <-chan struct{} { return s.half }

// Done is closed when n messages were counted.
func (s *Stopwatch) Done() <-chan struct{} { return s.done }

// Count is how many messages were counted so far.
func (s *Stopwatch) Count() int64 { return s.count.Load() }

// Span returns the Unix nanoseconds of the first and the n-th message;
// both are zero until Done is closed.
func (s *Stopwatch) Span() (firstNs, lastNs int64) {
	select {
	case <-s.done:
		return s.firstNs.Load(), s.lastNs.Load()
	default:
		return 0, 0
	}
}
