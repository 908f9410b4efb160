package service

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// TestPanicsOnChoosesOrdersWhoseNumberIsAMultipleOfAThousand: the panic
// fault's choice is the id's trailing number, so exactly one order in a
// thousand of a numbered sequence, whatever comes before the number; a
// value without a readable id is never chosen.
func TestPanicsOnChoosesOrdersWhoseNumberIsAMultipleOfAThousand(t *testing.T) {
	for value, want := range map[string]bool{
		validOrder("o-0", "c-00001"):               true,
		validOrder("o-1000", "c-00001"):            true,
		validOrder("o-1767225600-3000", "c-00001"): true,
		validOrder("soak-42-7000", "c-00001"):      true,
		validOrder("o-999", "c-00001"):             false,
		validOrder("o-1001", "c-00001"):            false,
		validOrder("o-10000x", "c-00001"):          false,
		validOrder("o-", "c-00001"):                false,
		validOrder("1000", "c-00001"):              false,
		`{"id":"o-1000",`:                          false, // malformed: no id to read
		``:                                         false,
	} {
		if got := PanicsOn([]byte(value)); got != want {
			t.Errorf("PanicsOn(%s) = %v, want %v", value, got, want)
		}
	}
	chosen := 0
	for seq := range 100_000 {
		if PanicsOn([]byte(validOrder(fmt.Sprintf("o-1767225600-%d", seq), "c-00001"))) {
			chosen++
		}
	}
	if chosen != 100 {
		t.Fatalf("%d of 100,000 numbered orders chosen, want 100 (0.1%%)", chosen)
	}
}

// TestPanicFaultPanicsDeepOnTheFirstAttemptOnly: a call holding a chosen
// order panics on its first attempt, before the enricher runs, with the
// order's id in the panic's value and a stack at least panicDepth frames
// deep; the same messages on their second attempt are enriched and
// written; a batch without a chosen order never panics.
func TestPanicFaultPanicsDeepOnTheFirstAttemptOnly(t *testing.T) {
	e := buildExample(t, FaultPanic)
	batch := func(attempts int, ids ...string) []*message.Message {
		var msgs []*message.Message
		for i, id := range ids {
			m := orderMsg(int64(i), validOrder(id, "c-00001"))
			m.Attempts = attempts
			msgs = append(msgs, m)
		}
		return msgs
	}
	call := func(msgs []*message.Message) (err error, panicked any, stack string) {
		defer func() {
			if v := recover(); v != nil {
				panicked, stack = v, string(debug.Stack())
			}
		}()
		return e.handler.HandleBatch(context.Background(), msgs), nil, ""
	}

	err, panicked, stack := call(batch(1, "o-1", "o-2000", "o-3"))
	if panicked == nil {
		t.Fatalf("first attempt of a batch holding o-2000: returned %v, want a panic", err)
	}
	if !strings.Contains(fmt.Sprint(panicked), "o-2000") || strings.Count(stack, "panicDeep") < panicDepth {
		t.Fatalf("panic %q with %d panicDeep frames; want the order's id and at least %d frames", panicked, strings.Count(stack, "panicDeep"), panicDepth)
	}
	if n := len(e.pub.Published()); n != 0 {
		t.Fatalf("%d orders written by the call that panicked, want none", n)
	}
	if err, panicked, _ := call(batch(2, "o-1", "o-2000", "o-3")); err != nil || panicked != nil {
		t.Fatalf("second attempt: %v, panic %v; want it handled", err, panicked)
	}
	if err, panicked, _ := call(batch(1, "o-4", "o-5")); err != nil || panicked != nil {
		t.Fatalf("a batch without a chosen order: %v, panic %v; want it handled", err, panicked)
	}
	if n := len(e.pub.Published()); n != 5 {
		t.Fatalf("%d orders written, want the 5 of the two calls that went through", n)
	}
}

// TestPanicFaultAsTheEngineRunsIt: through the engine's partition run,
// the panic is recovered and the batch retried: every order of it ends
// retried after two attempts, each written once, nothing dead-lettered.
func TestPanicFaultAsTheEngineRunsIt(t *testing.T) {
	e := buildExample(t, FaultPanic)
	var msgs []message.Message
	for _, id := range []string{"o-1", "o-2", "o-5000", "o-4"} {
		msgs = append(msgs, order("c-00001", validOrder(id, "c-00001")))
	}
	res := handlertest.Run(t, OrdersEnricherRegistration(e.handler, DefaultConfig()), msgs...)
	for i, d := range res.Deliveries {
		if d.Outcome != handlertest.Retried || d.Attempts != 2 {
			t.Errorf("order %d: %s after %d attempts, want retried after 2", i, d.Outcome, d.Attempts)
		}
	}
	var written []string
	for _, m := range e.pub.Published() {
		written = append(written, orderID(m.Value))
	}
	slices.Sort(written)
	if want := []string{"o-1", "o-2", "o-4", "o-5000"}; !slices.Equal(written, want) {
		t.Fatalf("written %v, want each order once: %v", written, want)
	}
}
