package service

import (
	"context"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// TestErrorPathFaultLeavesAGoroutinePerFailedMessage (F3): the errorpath
// handler opens a request per message and releases it only when the
// message succeeded, so each failed message (malformed, unknown customer)
// leaves exactly one goroutine behind, attributed to the handler as the
// watchdog counts them; the outcomes are the enricher's own. Stop ends
// every request left open.
func TestErrorPathFaultLeavesAGoroutinePerFailedMessage(t *testing.T) {
	e := buildExample(t, FaultErrorPath)
	before := handlerGoroutines()
	msgs := []*message.Message{
		orderMsg(0, validOrder("o-1", "c-00001")),
		orderMsg(1, `{"id":`), // malformed: the early return
		orderMsg(2, validOrder("o-3", "c-99999")),
		orderMsg(3, validOrder("o-4", "c-00002")),
		orderMsg(4, `not json`),
	}
	var err error
	asHandler(func(ctx context.Context) { err = e.handler.HandleBatch(ctx, msgs) })
	for i, wantFailed := range []bool{false, true, true, false, true} {
		if got := failedAt(err, i); (got != nil) != wantFailed {
			t.Fatalf("message %d: %v, want failed=%v: the decorator must not change outcomes", i, got, wantFailed)
		}
	}
	if len(e.pub.Published()) != 2 {
		t.Fatalf("published %d orders, want the 2 good ones", len(e.pub.Published()))
	}
	// Released requests end their goroutines soon after the call.
	consumertest.Eventually(t, "one goroutine per failed message", func() bool { return handlerGoroutines() == before+3 })

	if err := stopFaults(e.faults); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if n := handlerGoroutines(); n != before {
		t.Fatalf("%d handler goroutines after Stop, want %d: Stop ends every open request", n, before)
	}
	// After Stop the fault is undone: calls open no request.
	asHandler(func(ctx context.Context) { err = e.handler.HandleBatch(ctx, msgs[1:2]) })
	if failedAt(err, 0) == nil || handlerGoroutines() != before {
		t.Fatalf("after Stop: %v, %d handler goroutines (want %d)", err, handlerGoroutines(), before)
	}
}

// TestErrorPathFaultReleasesEveryRequestOfASuccessfulBatch: the success
// path releases: a good batch leaves nothing behind, however large.
func TestErrorPathFaultReleasesEveryRequestOfASuccessfulBatch(t *testing.T) {
	e := buildExample(t, FaultErrorPath)
	before := handlerGoroutines()
	for range 10 {
		asHandler(func(ctx context.Context) {
			if err := e.handler.HandleBatch(ctx, ordersBatch(20)); err != nil {
				t.Fatal(err)
			}
		})
	}
	consumertest.Eventually(t, "every request released", func() bool { return handlerGoroutines() == before })
}
