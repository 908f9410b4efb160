package middleware_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/message/middleware"
)

// A handler that panics: under Recover its call returns a
// *lifecycle.PanicError instead of crashing the process, the service's
// middleware above it sees an error like any other, and the engine retries
// the message (the error is not permanent).
func ExampleRecover() {
	panics := 0
	logging := func(next message.Call) message.Call { // the service's middleware
		return func(ctx context.Context, msgs []*message.Message) error {
			err := next(ctx, msgs)
			fmt.Println("middleware saw:", err)
			return err
		}
	}
	handler := func(context.Context, []*message.Message) error {
		var order map[string]string
		order["id"] = "o-1" // a nil map: panics
		return nil
	}
	call := message.Chain(handler, logging, middleware.Recover(func() { panics++ }))

	err := call(context.Background(), []*message.Message{{Value: []byte("o-1")}})
	var pe *lifecycle.PanicError
	fmt.Println("panic error:", errors.As(err, &pe), pe.What, "counted:", panics)
	fmt.Println("permanent:", message.IsPermanent(err))
	// Output:
	// middleware saw: handler panicked: assignment to entry in nil map
	// panic error: true handler counted: 1
	// permanent: false
}
