package kafka

import (
	"context"
	"sync"
)

// inflightLimiter bounds one partition's fetched-but-unfinished work in
// messages and bytes. The partition's fetch loop is its only acquirer and
// blocks in acquire while the bound is full: that wait is the partition's
// fetch pause, and it is why memory is bounded by configuration rather than
// by backlog. A single message larger than the byte bound is admitted when
// nothing else is in flight, so it can never deadlock the partition.
type inflightLimiter struct {
	maxMsgs  int
	maxBytes int64

	mu    sync.Mutex
	msgs  int
	bytes int64
	wake  chan struct{} // signalled on release; one waiter at most
}

func newInflightLimiter(maxMsgs int, maxBytes int64) *inflightLimiter {
	return &inflightLimiter{maxMsgs: maxMsgs, maxBytes: maxBytes, wake: make(chan struct{}, 1)}
}

// tryAcquire takes room for one message of size bytes if there is room.
func (l *inflightLimiter) tryAcquire(size int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.msgs >= l.maxMsgs || (l.msgs > 0 && l.bytes+int64(size) > l.maxBytes) {
		return false
	}
	l.msgs++
	l.bytes += int64(size)
	return true
}

// acquire waits for room for one message, or returns ctx's error.
func (l *inflightLimiter) acquire(ctx context.Context, size int) error {
	for !l.tryAcquire(size) {
		select {
		case <-l.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// release returns one message's room.
func (l *inflightLimiter) release(size int) {
	l.mu.Lock()
	l.msgs--
	l.bytes -= int64(size)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// usage reports what is held.
func (l *inflightLimiter) usage() (msgs int, bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.msgs, l.bytes
}
