package registry

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/message"
)

func TestRegistryLooksUpByNameAndKind(t *testing.T) {
	var got []string
	r := Empty().
		Add("single", message.HandlerFunc(func(_ context.Context, m *message.Message) error { got = append(got, string(m.Value)); return nil })).
		AddBatch("batch", message.BatchHandlerFunc(func(_ context.Context, msgs []*message.Message) error {
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
	_ = single.Call(context.Background(), []*message.Message{{Value: []byte("a")}})
	_ = batch.Call(context.Background(), []*message.Message{{}, {}})
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
	mw := func(name string) message.Middleware {
		return func(next message.Call) message.Call {
			return func(ctx context.Context, msgs []*message.Message) error {
				trace = append(trace, name)
				return next(ctx, msgs)
			}
		}
	}
	r := Empty().Add("a", message.HandlerFunc(func(context.Context, *message.Message) error { return nil }), mw("own-a"))
	r.Use(mw("all"))
	r.AddBatch("b", message.BatchHandlerFunc(func(context.Context, []*message.Message) error { return nil }))
	for _, name := range []string{"a", "b"} {
		e, _ := r.Lookup(name)
		_ = message.Chain(e.Call, e.Middleware...)(context.Background(), []*message.Message{{}})
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
	Empty().AddBatch("x", message.BatchHandlerFunc(func(context.Context, []*message.Message) error { return nil })).
		Add("x", message.HandlerFunc(func(context.Context, *message.Message) error { return nil }))
}

func TestNewRejectsDuplicateName(t *testing.T) {
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	_, err := New(Handler("x", noop), Handler("y", noop), Handler("x", noop))
	if err == nil || !strings.Contains(err.Error(), `"x" registered twice`) {
		t.Fatalf("New with x twice: %v", err)
	}
}

// TestSubscriptionsResolveDefaultsAgainstConfiguration: a registration's
// defaults carry its name; a configured subscription of the same handler
// and topic replaces the default whole; configured subscriptions for
// other topics are added; defaults nothing overrides stay.
func TestSubscriptionsResolveDefaultsAgainstConfiguration(t *testing.T) {
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	batch := message.BatchHandlerFunc(func(context.Context, []*message.Message) error { return nil })
	r, err := New(
		Handler("a", noop, Subscription{Topic: "ta", Workers: 2, Ordering: OrderingKey}),
		Batch("b", batch, Subscription{Topic: "tb", Batch: BatchConfig{Size: 10}}, Subscription{Topic: "tb2"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(r.Subscriptions(nil)); got != fmt.Sprint([]Subscription{
		{Topic: "ta", Handler: "a", Workers: 2, Ordering: OrderingKey},
		{Topic: "tb", Handler: "b", Batch: BatchConfig{Size: 10}},
		{Topic: "tb2", Handler: "b"},
	}) {
		t.Fatalf("defaults: %s", got)
	}
	got := r.Subscriptions([]Subscription{
		{Topic: "tb", Handler: "b", Batch: BatchConfig{Size: 3}},
		{Topic: "extra", Handler: "a"},
	})
	want := []Subscription{
		{Topic: "ta", Handler: "a", Workers: 2, Ordering: OrderingKey},
		{Topic: "tb", Handler: "b", Batch: BatchConfig{Size: 3}},
		{Topic: "tb2", Handler: "b"},
		{Topic: "extra", Handler: "a"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("resolved:\n got %v\nwant %v", got, want)
	}
}

// TestRegistrationUseIsCopyOnWrite: two registrations derived from one
// base never share their middleware.
func TestRegistrationUseIsCopyOnWrite(t *testing.T) {
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	var trace []string
	mw := func(name string) message.Middleware {
		return func(next message.Call) message.Call {
			return func(ctx context.Context, msgs []*message.Message) error {
				trace = append(trace, name)
				return next(ctx, msgs)
			}
		}
	}
	base := Handler("a", noop).Use(mw("1")).Use(mw("2")).Use(mw("3"))
	first := base.Use(mw("first"))
	_ = base.Use(mw("second"))
	r, err := New(first)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := r.Lookup("a")
	_ = message.Chain(e.Call, e.Middleware...)(context.Background(), []*message.Message{{}})
	if got := fmt.Sprint(trace); got != "[1 2 3 first]" {
		t.Fatalf("a derived registration ran %s", got)
	}
}

// TestWritesCollectsEveryRegistrationsOutputs: the topics each
// registration declares it writes are collected, sorted and each once;
// a registration derived from another does not change it.
func TestWritesCollectsEveryRegistrationsOutputs(t *testing.T) {
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	derived := Handler("a", noop).Writes("out-a").Writes("shared").Writes("out-a2")
	registered := derived.Writes("out-a3")
	_ = derived.Writes("not-registered")
	r, err := New(
		registered,
		Handler("b", noop).Writes("shared", "out-b"),
		Handler("c", noop),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(r.Writes()); got != "[out-a out-a2 out-a3 out-b shared]" {
		t.Fatalf("Writes = %s", got)
	}
	if got := Empty().Writes(); len(got) != 0 {
		t.Fatalf("an empty registry writes %v", got)
	}
}
