package handlertest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// exampleT stands in for the *testing.T a real test passes: it prints
// what would fail the test.
type exampleT struct{}

func (exampleT) Helper()                           {}
func (exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (exampleT) Fatalf(format string, args ...any) { fmt.Printf("FATAL: "+format+"\n", args...) }

// parseOrder is a handler under test: it refuses what is not an order.
func parseOrder(_ context.Context, m *message.Message) error {
	if len(m.Value) == 0 || m.Value[0] != '{' {
		return message.Permanent(errors.New("not an order"))
	}
	return nil
}

func ExampleRun() {
	t := exampleT{} // in a test: its *testing.T
	orders := registry.Handler("orders", message.HandlerFunc(parseOrder), registry.Subscription{
		Topic: "orders", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true},
	})
	res := handlertest.Run(t, orders,
		message.Message{Key: []byte("c-1"), Value: []byte(`{"id":"o-1"}`)},
		message.Message{Key: []byte("c-2"), Value: []byte(`garbage`)},
	)
	fmt.Println(res.Outcomes())
	for _, l := range res.DeadLetters() {
		fmt.Printf("%s: %s\n", l.Topic, l.Reason)
	}
	// Output:
	// [success dead_lettered]
	// orders.dlq: not an order
}

func ExampleRunner_Run() {
	t := exampleT{}
	calls := 0
	flaky := message.HandlerFunc(func(context.Context, *message.Message) error {
		if calls++; calls == 1 {
			return errors.New("downstream timeout")
		}
		return nil
	})
	var traced []int
	tracing := func(next message.Call) message.Call { // the service's middleware
		return func(ctx context.Context, msgs []*message.Message) error {
			traced = append(traced, msgs[0].Attempts)
			return next(ctx, msgs)
		}
	}
	res := handlertest.New(registry.Handler("flaky", message.HandlerFunc(flaky))).
		Use(tracing).
		Subscription(registry.Subscription{Topic: "payments", Ordering: registry.OrderingPartition,
			Retry: registry.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}}).
		Run(t, message.Message{Value: []byte("p-1")})
	d := res.Deliveries[0]
	fmt.Println(d.Outcome, d.Attempts, traced)
	// Output: retried 2 [1 2]
}

func ExampleVerifyNoLeaks() {
	t := exampleT{}
	release := make(chan struct{})
	defer close(release)
	leaky := message.HandlerFunc(func(context.Context, *message.Message) error {
		go func() { <-release }() // outlives the call: a leak
		return nil
	})
	handlertest.VerifyNoLeaks(t, registry.Handler("leaky", leaky), message.Message{}, message.Message{})
	// Output:
	// FAIL: handler leaky leaked 2 goroutines over 2 messages; most are in:
	// 	github.com/consumerkit/consumerkit/pkg/consumertest/handlertest_test.ExampleVerifyNoLeaks.func1.1
}

func ExamplePublisher() {
	pub := &handlertest.Publisher{}
	_ = pub.Publish(context.Background(), message.Message{Topic: "orders.enriched", Value: []byte("o-1")})
	for _, m := range pub.Published() {
		fmt.Println(m.Topic, string(m.Value))
	}
	// Output: orders.enriched o-1
}
