package registry_test

import (
	"context"
	"fmt"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// A handler name identifies a handler in the configuration and the
// metrics, so it is registered once.
func ExampleNew() {
	h := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	_, err := registry.New(registry.Handler("orders", h), registry.Handler("orders", h))
	fmt.Println(err)
	// Output: registry: handler "orders" registered twice
}

// The retry budget is what a failing message may hold its worker for when
// every attempt runs into its deadline: the engine checks that every
// subscription's budget fits in the stall timeout.
func ExampleRetryPolicy_Budget() {
	p := registry.DefaultRetryPolicy()
	fmt.Println(p.MaxAttempts, "attempts, backoffs up to", p.Backoffs(), "budget with 5s attempts:", p.Budget(5*time.Second))
	// Output: 3 attempts, backoffs up to 300ms budget with 5s attempts: 15.3s
}
