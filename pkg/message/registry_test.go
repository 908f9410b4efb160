package message

import (
	"context"
	"fmt"
	"testing"
)

func TestRegistryLooksUpByNameAndKind(t *testing.T) {
	var got []string
	r := NewRegistry().
		Add("single", HandlerFunc(func(_ context.Context, m *Message) error { got = append(got, string(m.Value)); return nil })).
		AddBatch("batch", BatchHandlerFunc(func(_ context.Context, msgs []*Message) error {
			got = append(got, fmt.Sprintf("batch of %d", len(msgs)))
			return nil
		}))
	single, ok := r.Lookup("single")
	if !ok || single.Batch {
		t.Fatalf("single: %+v %v", single, ok)
	}
	batch, ok := r.Lookup("batch")
	if !ok || !batch.Batch {
		t.Fatalf("batch: %+v %v", batch, ok)
	}
	if _, ok := r.Lookup("missing"); ok {
		t.Fatal("a name never registered was found")
	}
	_ = single.Call(context.Background(), []*Message{{Value: []byte("a")}})
	_ = batch.Call(context.Background(), []*Message{{}, {}})
	if fmt.Sprint(got) != "[a batch of 2]" {
		t.Fatalf("calls reached %v", got)
	}
	if got := fmt.Sprint(r.Names()); got != "[batch single]" {
		t.Fatalf("Names = %s", got)
	}
}

// TestRegistryMiddlewareUseIsOutsideTheHandlers: Use applies to every
// handler, whenever it was registered, outside the handler's own.
func TestRegistryMiddlewareUseIsOutsideTheHandlers(t *testing.T) {
	var trace []string
	mw := func(name string) Middleware {
		return func(next Call) Call {
			return func(ctx context.Context, msgs []*Message) error {
				trace = append(trace, name)
				return next(ctx, msgs)
			}
		}
	}
	r := NewRegistry().Add("a", HandlerFunc(func(context.Context, *Message) error { return nil }), mw("own-a"))
	r.Use(mw("all"))
	r.AddBatch("b", BatchHandlerFunc(func(context.Context, []*Message) error { return nil }))
	for _, name := range []string{"a", "b"} {
		e, _ := r.Lookup(name)
		_ = Chain(e.Call, e.Middleware...)(context.Background(), []*Message{{}})
	}
	if got := fmt.Sprint(trace); got != "[all own-a all]" {
		t.Fatalf("middleware ran as %s", got)
	}
}

func TestRegistryRejectsDuplicateName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate name did not panic")
		}
	}()
	NewRegistry().AddBatch("x", BatchHandlerFunc(func(context.Context, []*Message) error { return nil })).
		Add("x", HandlerFunc(func(context.Context, *Message) error { return nil }))
}
