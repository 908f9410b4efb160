package middleware

import (
	"context"
	"time"

	"github.com/consumerkit/consumerkit/internal/message"
)

// Observer records a duration in seconds; a Prometheus histogram child is
// one.
type Observer interface {
	Observe(seconds float64)
}

// Metrics times each call of next.
func Metrics(duration Observer) message.Middleware {
	return func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			start := time.Now()
			err := next.Handle(ctx, m)
			duration.Observe(time.Since(start).Seconds())
			return err
		})
	}
}
