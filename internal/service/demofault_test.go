package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/cache"
)

// TestDeadlockFaultDeadlocksAndStopUndoesIt: the F4 fault really
// deadlocks its callers, and Stop releases them so shutdown completes.
func TestDeadlockFaultDeadlocksAndStopUndoesIt(t *testing.T) {
	m, _ := cache.NewMetrics(prometheus.NewRegistry())
	d := NewDemoFaults(Config{DemoFault: "deadlock"}, cache.DefaultConfig(), m)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	var callers sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		callers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				d.logLine("x")
				calls.Add(1)
			}
		})
	}
	// Deadlocked: no call completes for a while.
	deadline := time.Now().Add(10 * time.Second)
	for {
		before := calls.Load()
		time.Sleep(300 * time.Millisecond)
		if calls.Load() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the deadlock fault never deadlocked")
		}
	}
	close(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatalf("Stop did not undo the deadlock: %v (held %d)", err, d.held.Load())
	}
	callers.Wait()
}
