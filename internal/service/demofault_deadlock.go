package service

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// deadlockHandler is F4 around the handler: before each batch it logs
// through the deadlocking logger, whose first call never returns, so the
// handler hangs with its partition's work while the rest of the process
// runs on.
type deadlockHandler struct {
	next message.BatchHandler
	log  *rotatingLog
}

// HandleBatch implements message.BatchHandler.
func (h deadlockHandler) HandleBatch(ctx context.Context, msgs []*message.Message) error {
	h.log.Line(fmt.Sprintf("enriching %d orders", len(msgs)))
	return h.next.HandleBatch(ctx, msgs)
}

// rotatingLog is the F4 logger: a log call takes its read lock, then calls
// a helper that takes it again, while log rotation waits for the write
// lock. With the writer waiting in between, the nested read lock waits
// for the writer, which waits for the outer read lock: deadlock.
//
// So that it deadlocks every time, from the first call after start, not
// when a timer happens to land between the two read locks, a call asks
// for rotation while it holds the read lock and calls the helper only
// once the writer is waiting. Every concurrent or later call then blocks
// too, in its nested read lock or in its outer one behind the same writer.
type rotatingLog struct {
	out      *zap.Logger
	mu       sync.RWMutex
	rotate   chan struct{} // a call holding the read lock asks for rotation
	held     atomic.Int64  // outer read locks taken and not yet released
	stopping atomic.Bool   // untangle began: new calls skip the lock, calls under way let go of it
}

func newRotatingLog(out *zap.Logger) *rotatingLog {
	return &rotatingLog{out: out, rotate: make(chan struct{}, 1)}
}

// rotation runs log rotation until ctx ends: it takes the write lock each
// time a call asks, on demand rather than on a clock, so the writer is
// always between a call's two read locks.
func (l *rotatingLog) rotation(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.rotate:
		}
		if l.stopping.Load() {
			return nil // no new writer while Stop untangles the readers
		}
		l.mu.Lock()
		l.mu.Unlock()
	}
}

// Line writes msg at debug level and returns the line written; until
// untangle, it deadlocks instead.
//
// Once untangle has begun, a call returns without locking. A call already
// past that check either counted its outer read lock before untangle
// began, and untangle releases it, or sees stopping and releases it
// itself; a call blocked behind the writer goes on once untangle has let
// the writer through.
func (l *rotatingLog) Line(msg string) string {
	if l.stopping.Load() {
		l.out.Debug(msg)
		return msg
	}
	l.mu.RLock()
	l.held.Add(1)
	select {
	case l.rotate <- struct{}{}:
	default: // rotation is already asked for
	}
	for {
		// Checked after counting the read lock: either untangle sees the
		// count and releases it, or this call sees stopping.
		if l.stopping.Load() {
			l.releaseOne()
			l.out.Debug(msg)
			return msg
		}
		if l.writerWaiting() {
			break
		}
		// sync.RWMutex offers no way to wait for a writer to arrive.
		time.Sleep(100 * time.Microsecond)
	}
	line := l.format(msg)
	l.releaseOne() // unless untangle already released one for us
	l.out.Debug(line)
	return line
}

// writerWaiting reports whether a writer holds or waits for mu: TryRLock
// fails only then, exactly when RLock would wait. Asked while holding a
// read lock, which no writer can hold alongside, it means a writer
// waiting.
func (l *rotatingLog) writerWaiting() bool {
	if l.mu.TryRLock() {
		l.mu.RUnlock()
		return false
	}
	return true
}

// format takes the read lock again, from inside Line: F4's nested read
// lock.
func (l *rotatingLog) format(msg string) string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return time.Now().Format(time.RFC3339) + " " + msg
}

// releaseOne releases one outer read lock if any is still held. Read
// locks are counts, so which holder releases does not matter; every RLock
// is matched by exactly one RUnlock.
func (l *rotatingLog) releaseOne() bool {
	for {
		n := l.held.Load()
		if n <= 0 {
			return false
		}
		if l.held.CompareAndSwap(n, n-1) {
			l.mu.RUnlock()
			return true
		}
	}
}

// untangle breaks the deadlock for good. Deadlocked calls hold read locks
// they will never release: it releases them on their behalf, so the
// waiting writer and then the nested readers can go. Calls that count a
// read lock after this release it themselves, and new calls no longer
// lock; rotation takes no new write lock.
func (l *rotatingLog) untangle() {
	l.stopping.Store(true)
	for l.releaseOne() {
	}
}
