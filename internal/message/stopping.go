package message

import "context"

type stoppingKey struct{}

// WithStopping returns a context that carries stopping: a channel closed
// when the partition is being revoked or the service is stopping. The
// handler's own context stays usable through the drain; waits that are
// only worth finishing while the partition is owned (a retry's backoff)
// select on Stopping as well, so they end at once.
func WithStopping(ctx context.Context, stopping <-chan struct{}) context.Context {
	return context.WithValue(ctx, stoppingKey{}, stopping)
}

// Stopping returns the channel set by WithStopping, or nil (never ready)
// when there is none.
func Stopping(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(stoppingKey{}).(<-chan struct{})
	return ch
}
