package middleware

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// PanicError is a handler's panic, recovered, with its stack.
//
// Error says only what panicked, never the stack: the error text travels
// (dead-letter headers, metrics, other systems) and a stack can be larger
// than the message it was handling. The stack is for the log.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.Value) }

// Recover turns a panic in the rest of the chain into a *PanicError,
// counted by onPanic (which may be nil). The error is not permanent: a
// panic caused by a passing condition is retried like any other failure.
func Recover(onPanic func()) message.Middleware {
	return func(next message.Call) message.Call {
		return func(ctx context.Context, msgs []*message.Message) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if onPanic != nil {
						onPanic()
					}
					err = &PanicError{Value: r, Stack: debug.Stack()}
				}
			}()
			return next(ctx, msgs)
		}
	}
}
