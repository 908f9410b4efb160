package middleware

import (
	"context"
	"runtime/debug"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// Recover turns a panic in the rest of the chain into a
// *lifecycle.PanicError whose What is "handler" and whose Stack is where
// the panic happened, counted by onPanic (which may be nil). Its text
// names the panic and never holds the stack (it travels in letter
// headers; the engine logs the stack). The error is not permanent: a
// panic caused by a passing condition is retried like any other failure.
func Recover(onPanic func()) message.Middleware {
	return func(next message.Call) message.Call {
		return func(ctx context.Context, msgs []*message.Message) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if onPanic != nil {
						onPanic()
					}
					err = &lifecycle.PanicError{What: "handler", Value: r, Stack: debug.Stack()}
				}
			}()
			return next(ctx, msgs)
		}
	}
}
