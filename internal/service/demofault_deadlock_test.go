package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// startDeadlockFault starts the F4 fault; cleanup stops it, so a failed
// test still releases its callers and leaks no goroutine.
func startDeadlockFault(t *testing.T) *DemoFaults {
	t.Helper()
	m, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	d := NewDemoFaults(Config{DemoFault: "deadlock"}, cache.DefaultConfig(), m, zap.NewNop())
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopFaults(d) })
	return d
}

func stopFaults(d *DemoFaults) error {
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	return d.Stop(ctx)
}

// goLogLine calls Line in its own goroutine, as a partition's handler
// would; the line arrives when the call returns.
func goLogLine(d *DemoFaults, msg string) <-chan string {
	line := make(chan string, 1)
	go func() { line <- d.log.Line(msg) }()
	return line
}

// rotationWaiting reports whether rotation holds or waits for the write
// lock: TryRLock fails only then. While a log call holds its read lock,
// rotation cannot hold the write lock, so this means it waits.
func rotationWaiting(d *DemoFaults) bool {
	if d.log.mu.TryRLock() {
		d.log.mu.RUnlock()
		return false
	}
	return true
}

// parked counts goroutines blocked for the runtime wait reason (as a
// goroutine dump shows it, e.g. "sync.RWMutex.RLock") with every one of
// frames on their stack.
func parked(reason string, frames ...string) int {
	count := 0
	for _, g := range consumertest.Stacks() {
		header, stack, _ := strings.Cut(g, "\n")
		if !strings.Contains(header, "["+reason) {
			continue
		}
		all := true
		for _, f := range frames {
			all = all && strings.Contains(stack, f)
		}
		if all {
			count++
		}
	}
	return count
}

func returned(line <-chan string) bool {
	select {
	case <-line:
		return true
	default:
		return false
	}
}

func waitReturned(t *testing.T, line <-chan string, what string) string {
	t.Helper()
	select {
	case l := <-line:
		return l
	case <-time.After(consumertest.Patience):
		t.Fatalf("%s never returned", what)
		return ""
	}
}

// requireUnlocked: every log call's read locks were released exactly once
// (one too many would have crashed RUnlock) and rotation let go.
func requireUnlocked(t *testing.T, d *DemoFaults) {
	t.Helper()
	if n := d.log.held.Load(); n != 0 {
		t.Fatalf("%d outer read locks still counted as held", n)
	}
	if !d.log.mu.TryLock() {
		t.Fatal("the log lock is still held after every call returned")
	}
	d.log.mu.Unlock()
}

// TestDeadlockFaultDeadlocksTheFirstLogCall (F4): a single log call
// deadlocks every time, not when a timer happens to line up: once
// rotation waits for the write lock the call has not returned, and the
// goroutine dump shows the frames the liveness evidence relies on.
func TestDeadlockFaultDeadlocksTheFirstLogCall(t *testing.T) {
	d := startDeadlockFault(t)
	line := goLogLine(d, "x")

	consumertest.Eventually(t, "rotation to wait for the write lock", func() bool { return rotationWaiting(d) })
	if returned(line) {
		t.Fatal("the log call returned before rotation waited for the write lock: no deadlock")
	}
	// The frames the root package's F4 test looks for in the saved dump.
	consumertest.Eventually(t, "the log call to park in format's nested read lock", func() bool {
		return parked("sync.RWMutex.RLock", "sync.(*RWMutex).RLock", "(*rotatingLog).format", "(*rotatingLog).Line") == 1
	})
	consumertest.Eventually(t, "rotation to park in Lock", func() bool {
		return parked("sync.RWMutex.Lock", "sync.(*RWMutex).Lock", "(*rotatingLog).rotation") == 1
	})
	if returned(line) {
		t.Fatal("the log call returned from a deadlock")
	}

	if err := stopFaults(d); err != nil {
		t.Fatalf("Stop did not undo the deadlock: %v", err)
	}
	waitReturned(t, line, "the deadlocked log call after Stop")
	requireUnlocked(t, d)
}

// TestDeadlockFaultBlocksEveryCallerUntilStop: concurrent log calls, as
// from several partitions, all block (the first ones in the nested read
// lock, the others behind the waiting writer); Stop releases every one
// of them and returns nil.
func TestDeadlockFaultBlocksEveryCallerUntilStop(t *testing.T) {
	d := startDeadlockFault(t)
	const callers = 4
	var lines []<-chan string
	for range callers {
		lines = append(lines, goLogLine(d, "x"))
	}

	consumertest.Eventually(t, "every log call to park in a read lock", func() bool {
		return parked("sync.RWMutex.RLock", "(*rotatingLog).Line") == callers
	})
	if !rotationWaiting(d) {
		t.Fatal("log calls parked with no writer waiting")
	}
	for i, line := range lines {
		if returned(line) {
			t.Fatalf("log call %d returned from a deadlock", i)
		}
	}

	if err := stopFaults(d); err != nil {
		t.Fatalf("Stop did not undo the deadlock: %v (held %d)", err, d.log.held.Load())
	}
	for _, line := range lines {
		waitReturned(t, line, "a deadlocked log call after Stop")
	}
	requireUnlocked(t, d)
}

// TestDeadlockFaultStopUntanglesEveryInterleaving: Stop may arrive
// before the callers lock, while the deadlock forms or after it, and
// callers may arrive while it runs; every call returns, Stop returns nil
// and every read lock is released exactly once.
func TestDeadlockFaultStopUntanglesEveryInterleaving(t *testing.T) {
	for i := range 100 {
		d := startDeadlockFault(t)
		var lines []<-chan string
		for range 3 {
			lines = append(lines, goLogLine(d, "before"))
		}
		switch i % 3 {
		case 0: // after the deadlock
			consumertest.Eventually(t, "every log call to park in a read lock", func() bool {
				return parked("sync.RWMutex.RLock", "(*rotatingLog).Line") == len(lines)
			})
		case 1: // as it forms
			consumertest.Eventually(t, "rotation to wait for the write lock", func() bool { return rotationWaiting(d) })
		}
		stopped := make(chan error, 1)
		go func() { stopped <- stopFaults(d) }()
		for range 3 {
			lines = append(lines, goLogLine(d, "during"))
		}
		if err := <-stopped; err != nil {
			t.Fatalf("round %d: Stop did not undo the deadlock: %v (held %d)", i, err, d.log.held.Load())
		}
		lines = append(lines, goLogLine(d, "after"))
		for _, line := range lines {
			waitReturned(t, line, "a log call")
		}
		requireUnlocked(t, d)
	}
}

// TestDeadlockFaultLogCallAfterStopDoesNotLock: once Stop has untangled
// the deadlock, a log call returns its message as is without touching
// the lock, so even a held write lock does not stop it.
func TestDeadlockFaultLogCallAfterStopDoesNotLock(t *testing.T) {
	d := startDeadlockFault(t)
	deadlocked := goLogLine(d, "x")
	consumertest.Eventually(t, "rotation to wait for the write lock", func() bool { return rotationWaiting(d) })
	if err := stopFaults(d); err != nil {
		t.Fatal(err)
	}
	waitReturned(t, deadlocked, "the deadlocked log call after Stop")

	d.log.mu.Lock()
	line := goLogLine(d, "after stop")
	if got := waitReturned(t, line, "a log call after Stop, under a held write lock"); got != "after stop" {
		t.Fatalf("Line after Stop = %q, want the message as is", got)
	}
	d.log.mu.Unlock()
	requireUnlocked(t, d)
}

// TestDeadlockFaultHangsTheHandlerFromItsFirstCall (F4 around the
// handler): the first batch the decorated handler gets hangs in its log
// call before any order is enriched, from the first call after Start, not
// when a timer lines up; Stop releases it, and the batch then goes
// through.
func TestDeadlockFaultHangsTheHandlerFromItsFirstCall(t *testing.T) {
	e := buildExample(t, FaultDeadlock)
	done := make(chan error, 1)
	go func() { done <- e.handler.HandleBatch(context.Background(), ordersBatch(3)) }()
	consumertest.Eventually(t, "the handler's log call to park in the nested read lock", func() bool {
		return parked("sync.RWMutex.RLock", "(*rotatingLog).format", "deadlockHandler.HandleBatch") == 1
	})
	select {
	case err := <-done:
		t.Fatalf("the handler returned (%v) from a deadlock", err)
	default:
	}
	if len(e.pub.Published()) != 0 {
		t.Fatalf("%d orders written before the deadlock broke", len(e.pub.Published()))
	}
	if err := stopFaults(e.faults); err != nil {
		t.Fatalf("Stop did not undo the deadlock: %v", err)
	}
	select {
	case err := <-done:
		if err != nil || len(e.pub.Published()) != 3 {
			t.Fatalf("after Stop: %v, %d written; want the batch through", err, len(e.pub.Published()))
		}
	case <-time.After(consumertest.Patience):
		t.Fatal("the handler never returned after Stop")
	}
}
