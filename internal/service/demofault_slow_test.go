package service

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestSlowFaultDelaysEveryWriteBy800ms (F5): under the slow fault each
// write reaches the publisher 800ms after it was asked for, in fake time;
// an empty write has nothing to send downstream and waits for nothing.
func TestSlowFaultDelaysEveryWriteBy800ms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := buildExample(t, FaultSlow)
		orders := []EnrichedOrder{{Order: Order{ID: "o-1", CustomerID: "c-00001"}}}
		for round := range 3 {
			start := time.Now()
			if err := e.writer.Write(context.Background(), orders); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took != slowDownstreamDelay {
				t.Fatalf("write %d took %v, want %v", round, took, slowDownstreamDelay)
			}
			if len(e.pub.Published()) != round+1 {
				t.Fatalf("write %d: published %d, want %d", round, len(e.pub.Published()), round+1)
			}
		}
		start := time.Now()
		if err := e.writer.Write(context.Background(), nil); err != nil || time.Since(start) != 0 {
			t.Fatalf("empty write: %v after %v, want nil at once", err, time.Since(start))
		}
	})
}

// TestSlowFaultHonoursTheCallsDeadline: a write whose call ends first
// returns the cause at once and sends nothing, so a slow downstream holds
// no goroutine past the handler's deadline.
func TestSlowFaultHonoursTheCallsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := buildExample(t, FaultSlow)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := e.writer.Write(ctx, []EnrichedOrder{{Order: Order{ID: "o-1", CustomerID: "c-00001"}}})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 300*time.Millisecond {
			t.Fatalf("write under a 300ms deadline: %v after %v, want DeadlineExceeded after 300ms", err, time.Since(start))
		}
		if len(e.pub.Published()) != 0 {
			t.Fatalf("published %d after the deadline, want none", len(e.pub.Published()))
		}
	})
}
