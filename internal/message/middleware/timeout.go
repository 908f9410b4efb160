package middleware

import (
	"context"
	"time"

	"github.com/consumerkit/consumerkit/internal/message"
)

// Timeout gives each call of next its own deadline d. The engine already
// bounds a whole message (every attempt) by handler_timeout; Timeout is
// for a per-attempt bound inside Retry, and costs a timer per call.
func Timeout(d time.Duration) message.Middleware {
	return func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return next.Handle(ctx, m)
		})
	}
}
