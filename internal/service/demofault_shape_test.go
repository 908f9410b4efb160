package service

import (
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestFaultShapesTheInputSubscription: batchstall makes the batch stage
// one the demo's traffic never fills (1,000: the default max_inflight);
// slow makes batches of at most 10; deadlock gives a message
// one attempt; the others leave the subscription as it was. A
// subscription without a batch stage keeps having none.
func TestFaultShapesTheInputSubscription(t *testing.T) {
	base := registry.Subscription{Topic: "orders", Handler: OrdersEnricherName,
		Batch: registry.BatchConfig{Size: 100, Linger: 200 * time.Millisecond}, Retry: registry.DefaultRetryPolicy()}
	for _, tt := range []struct {
		fault            Fault
		size, attempts   int
		unbatchedAttempt int
	}{
		{"", 100, 3, 3},
		{FaultBatchStall, 1000, 3, 3},
		{FaultLeak, 100, 3, 3},
		{FaultErrorPath, 100, 3, 3},
		{FaultDeadlock, 100, 1, 1},
		{FaultSlow, 10, 3, 3},
		{FaultPanic, 100, 3, 3},
	} {
		s := base
		tt.fault.ShapeSubscription(&s)
		if s.Batch.Size != tt.size || s.Retry.MaxAttempts != tt.attempts || s.Batch.Linger != base.Batch.Linger {
			t.Errorf("fault %q: batch %+v, %d attempts; want size %d, linger kept, %d attempts", tt.fault, s.Batch, s.Retry.MaxAttempts, tt.size, tt.attempts)
		}
		u := base
		u.Batch = registry.BatchConfig{}
		tt.fault.ShapeSubscription(&u)
		if u.Batch.Size != 0 || u.Retry.MaxAttempts != tt.unbatchedAttempt {
			t.Errorf("fault %q on a per-message subscription: batch %+v, %d attempts", tt.fault, u.Batch, u.Retry.MaxAttempts)
		}
	}
	small := base
	small.Batch.Size = 4
	FaultSlow.ShapeSubscription(&small)
	if small.Batch.Size != 4 {
		t.Errorf("slow grew a batch of 4 to %d; it only bounds them", small.Batch.Size)
	}
}

// TestFaultShapesTheDemoTraffic: errorpath needs malformed orders, 1%
// unless the operator chose a share; leak has goroutines counted every
// second unless configured more often; nothing else changes either.
func TestFaultShapesTheDemoTraffic(t *testing.T) {
	for _, f := range []Fault{"", FaultBatchStall, FaultLeak, FaultErrorPath, FaultDeadlock, FaultSlow, FaultPanic} {
		wantRate, wantEvery := 0.0, 10*time.Second
		switch f {
		case FaultErrorPath:
			wantRate = 0.01
		case FaultLeak:
			wantEvery = time.Second
		}
		if got := f.DemoBadRate(0); got != wantRate {
			t.Errorf("fault %q: bad rate %v, want %v", f, got, wantRate)
		}
		if got := f.DemoBadRate(0.2); got != 0.2 {
			t.Errorf("fault %q: bad rate %v, the operator's 0.2 must stand", f, got)
		}
		if got := f.LeakInterval(10 * time.Second); got != wantEvery {
			t.Errorf("fault %q: leak interval %v, want %v", f, got, wantEvery)
		}
		if got := f.LeakInterval(300 * time.Millisecond); got != 300*time.Millisecond {
			t.Errorf("fault %q: leak interval %v, a shorter configured one must stand", f, got)
		}
	}
}
