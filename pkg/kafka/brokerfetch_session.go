package kafka

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// brokerSession fetches, with one goroutine and one connection, every
// partition of this engine that one broker leads. Each round it resolves
// the offsets of partitions that need it (ListOffsets), then sends one
// Fetch for the partitions that have room (no handoff waiting to be
// taken) and hands each its share of the response. A connection that
// fails gives every partition back to the placer, which finds their
// leaders again: the session then ends, and the placer starts another.
type brokerSession struct {
	f    *brokerFetcher
	id   int32
	addr string
	// parts are the partitions it owns, guarded by f.mu.
	parts []*sessionReader
	wake  chan struct{}
	// ctx ends when the session is halted.
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards halted and conn
	halted bool
	conn   *conn.BrokerConn
	done   chan struct{}
	// Of the session's goroutine: the request's correlation id, and where
	// in parts the next request starts, so that every partition is first
	// in turn (a broker always returns the first partition's first batch,
	// however large).
	correlation int32
	rotate      int
	// assigned is when a partition was last handed to the session,
	// guarded by f.mu.
	assigned time.Time
}

func newBrokerSession(f *brokerFetcher, id int32, addr string) *brokerSession {
	ctx, cancel := context.WithCancel(context.Background())
	return &brokerSession{f: f, id: id, addr: addr, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// poke makes the session plan again: a partition has room, or was added.
func (s *brokerSession) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// removeLocked takes r out of parts. f.mu is held.
func (s *brokerSession) removeLocked(r *sessionReader) {
	for i, p := range s.parts {
		if p == r {
			s.parts = append(s.parts[:i], s.parts[i+1:]...)
			return
		}
	}
}

// halt stops the session: its context ends and its connection closes, so
// that a request in flight fails at once.
func (s *brokerSession) halt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.halted {
		s.halted = true
		s.cancel()
		if s.conn != nil {
			_ = s.conn.Close()
		}
	}
}

// run is the session's goroutine; done is closed once it has returned
// (by its starter, so that nothing of it is left running then).
func (s *brokerSession) run() {
	defer s.closeConn()
	for s.ctx.Err() == nil {
		p := s.plan(time.Now())
		switch {
		case p.exit:
			return
		case s.connection() == nil:
			if err := s.dial(); err != nil {
				s.fail(err)
				return
			}
		case len(p.resolve) > 0:
			if err := s.resolve(p.resolve); err != nil {
				s.fail(err)
				return
			}
		case len(p.fetch) == 0:
			s.idle(p.wait)
		default:
			res, err := s.fetch(p)
			if err != nil {
				s.fail(err)
				return
			}
			s.dispatch(p, res)
			if res.throttle > 0 { // the broker asks clients over their quota to wait
				s.idle(res.throttle)
			}
		}
	}
}

// idle waits for d, a poke, or the end of the session.
func (s *brokerSession) idle(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
	case <-s.wake:
	case <-t.C:
	}
}

func (s *brokerSession) connection() *conn.BrokerConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

func (s *brokerSession) dial() error {
	c, err := s.f.cfg.settings().DialBroker(s.ctx, s.addr, fetchClientID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.halted {
		_ = c.Close()
		return context.Canceled
	}
	s.conn = c
	return nil
}

func (s *brokerSession) closeConn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// fail gives every partition back to the placer after the connection
// failed with err, reporting it to each, and ends the session. Nothing is
// reported when the session was halted: the error is its own doing.
func (s *brokerSession) fail(err error) {
	if s.ctx.Err() != nil {
		return
	}
	f := s.f
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range append([]*sessionReader(nil), s.parts...) {
		f.requeueLocked(r, now, fmt.Sprintf("the session fetcher lost broker %d (%s) while fetching partition %d of %s at offset %d: %v",
			s.id, s.addr, r.partition, r.topic, r.next, err))
	}
	f.stopSessionLocked(s)
}
