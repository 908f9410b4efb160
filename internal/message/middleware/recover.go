package middleware

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/consumerkit/consumerkit/internal/message"
)

// PanicError is a handler's panic, recovered, with its stack.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("handler panicked: %v\n%s", e.Value, e.Stack) }

// Recover turns a panic in the handler into a *PanicError, counted by
// onPanic (which may be nil). The error is not permanent: a panic caused
// by a passing condition is retried like any other failure.
func Recover(onPanic func()) message.Middleware {
	return func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if onPanic != nil {
						onPanic()
					}
					err = &PanicError{Value: r, Stack: debug.Stack()}
				}
			}()
			return next.Handle(ctx, m)
		})
	}
}
