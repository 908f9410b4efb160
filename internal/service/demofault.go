package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

// DemoFaults makes the example misbehave on purpose (service.demo_fault),
// the way each production failure did, so anyone can watch the framework
// contain or expose it. It is a component: the deadlock fault's log
// rotation runs in its lifecycle group, and Stop undoes every fault so
// the process still shuts down cleanly.
type DemoFaults struct {
	fault string
	group *lifecycle.Group

	// leak (F2): a cache built per lookup and never stopped while running.
	cacheCfg cache.Config
	metrics  *cache.Metrics
	mu       sync.Mutex
	leaked   []func()

	// deadlock (F4): a logger that takes its read lock twice while log
	// rotation waits for the write lock.
	logMu    sync.RWMutex
	rotate   chan struct{} // a log call holding the read lock asks for rotation
	held     atomic.Int64  // outer read locks taken and not yet released
	stopping atomic.Bool   // Stop began: new log calls skip the lock, calls under way let go of it

	// errorpath (F3): request objects an early return never released.
	openRequests atomic.Int64
}

// NewDemoFaults prepares the configured fault; it starts nothing.
func NewDemoFaults(cfg Config, cacheCfg cache.Config, m *cache.Metrics) *DemoFaults {
	return &DemoFaults{fault: cfg.DemoFault, group: lifecycle.NewGroup("demo-fault"), cacheCfg: cacheCfg, metrics: m,
		rotate: make(chan struct{}, 1)}
}

// Is reports whether fault is the active one.
func (d *DemoFaults) Is(fault string) bool { return d != nil && d.fault == fault }

// Name identifies the component in lifecycle logs.
func (d *DemoFaults) Name() string { return "demo-fault" }

// Start begins log rotation for the deadlock fault. Rotation runs when a
// log call asks for it, not on a clock: a writer that arrives on a timer
// only sometimes lands between the two read locks, and the demo must fail
// every time.
func (d *DemoFaults) Start(context.Context) error {
	if !d.Is("deadlock") {
		return nil
	}
	return d.group.Go("log-rotation", func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-d.rotate:
			}
			if d.stopping.Load() {
				return nil // no new writer while Stop untangles the readers
			}
			d.logMu.Lock() // rotation needs the write lock
			d.logMu.Unlock()
		}
	})
}

// leakyCache is the F2 bug: a new cache, with its own goroutine, per call.
// After Stop it returns nil (use the shared cache), so the demo leaks only
// while the service runs and shutdown stops every cache it made.
func (d *DemoFaults) leakyCache() *CustomerCache {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopping.Load() {
		return nil
	}
	c, stop := cache.New[Customer]("customers", d.cacheCfg, d.metrics)
	d.leaked = append(d.leaked, stop)
	return c
}

// logLine is the F4 bug: a log call that takes the read lock, then calls
// a helper that takes it again. With a writer waiting in between, the
// nested read lock waits for the writer, which waits for the outer one.
// So that the writer is always in between, the call asks for rotation
// while it holds the read lock and calls the helper only once the writer
// is waiting: the first call deadlocks, and every concurrent or later
// call blocks too, in its nested read lock or in its outer one behind
// the same writer.
//
// Once Stop has begun, a new call returns its message without locking.
// A call already past that check either counted its outer read lock
// before Stop began, and Stop releases it, or sees stopping and releases
// it itself; a call blocked behind the writer goes on once Stop has let
// the writer through.
func (d *DemoFaults) logLine(msg string) string {
	if d.stopping.Load() {
		return msg
	}
	d.logMu.RLock()
	d.held.Add(1)
	select {
	case d.rotate <- struct{}{}:
	default: // rotation is already asked for
	}
	for {
		// Checked after counting the read lock: either Stop sees the
		// count and releases it, or this call sees stopping.
		if d.stopping.Load() {
			d.releaseOne()
			return msg
		}
		if d.writerWaiting() {
			break
		}
		// sync.RWMutex offers no way to wait for a writer to arrive.
		time.Sleep(100 * time.Microsecond)
	}
	line := d.format(msg)
	d.releaseOne() // unless Stop already released one for us
	return line
}

// writerWaiting reports whether a writer holds or waits for logMu:
// TryRLock fails only then, exactly when RLock would wait. Asked while
// holding a read lock, which no writer can hold alongside, it means a
// writer waiting.
func (d *DemoFaults) writerWaiting() bool {
	if d.logMu.TryRLock() {
		d.logMu.RUnlock()
		return false
	}
	return true
}

// releaseOne releases one outer read lock if any is still held. Read locks
// are counts, so which holder releases does not matter; every RLock is
// matched by exactly one RUnlock.
func (d *DemoFaults) releaseOne() bool {
	for {
		n := d.held.Load()
		if n <= 0 {
			return false
		}
		if d.held.CompareAndSwap(n, n-1) {
			d.logMu.RUnlock()
			return true
		}
	}
}

// format takes the read lock again, from inside logLine: F4's nested
// read lock.
func (d *DemoFaults) format(msg string) string {
	d.logMu.RLock()
	defer d.logMu.RUnlock()
	return time.Now().Format(time.RFC3339) + " " + msg
}

// slowDownstream is F5: every call to the downstream takes 800ms.
func (d *DemoFaults) slowDownstream(ctx context.Context) error {
	select {
	case <-time.After(800 * time.Millisecond):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("slow downstream: %w", ctx.Err())
	}
}

// Stop undoes the faults: it ends log rotation (first breaking the
// deadlock, if there is one) and stops every leaked cache.
func (d *DemoFaults) Stop(ctx context.Context) error {
	var errs []error
	if d.Is("deadlock") {
		// Deadlocked log calls hold read locks they will never release:
		// release them on their behalf, so rotation and then the nested
		// readers can go. Calls that count a read lock after this
		// release it themselves, and new calls no longer lock.
		d.stopping.Store(true)
		for d.releaseOne() {
		}
		errs = append(errs, d.group.Stop(ctx))
	}
	d.mu.Lock()
	d.stopping.Store(true)
	for _, stop := range d.leaked {
		stop()
	}
	d.leaked = nil
	d.mu.Unlock()
	return errors.Join(errs...)
}

// Failed is closed if the log rotation fails.
func (d *DemoFaults) Failed() <-chan struct{} { return d.group.Failed() }

// Err says why.
func (d *DemoFaults) Err() error { return d.group.Err() }
