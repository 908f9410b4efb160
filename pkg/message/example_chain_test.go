package message_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// The first middleware listed is the outermost: it sees the call first and
// its result last. A middleware returns what next returned.
func ExampleChain() {
	named := func(name string) message.Middleware {
		return func(next message.Call) message.Call {
			return func(ctx context.Context, msgs []*message.Message) error {
				fmt.Println(name, "before")
				err := next(ctx, msgs)
				fmt.Println(name, "after:", err)
				return err
			}
		}
	}
	handler := func(context.Context, []*message.Message) error {
		fmt.Println("handler")
		return errors.New("downstream timeout")
	}
	_ = message.Chain(handler, named("tracing"), named("metrics"))(context.Background(), []*message.Message{{}})
	// Output:
	// tracing before
	// metrics before
	// handler
	// metrics after: downstream timeout
	// tracing after: downstream timeout
}

// Permanent marks what no retry can fix; the mark survives wrapping, so a
// middleware may add context to the error without turning it into one
// that is retried.
func ExamplePermanent() {
	err := message.Permanent(errors.New("unknown currency XYZ"))
	wrapped := fmt.Errorf("payment p-1: %w", err)
	fmt.Println(message.IsPermanent(wrapped), wrapped)
	fmt.Println(message.IsPermanent(errors.New("bank timeout")), message.Permanent(nil))
	// Output:
	// true payment p-1: unknown currency XYZ
	// false <nil>
}
