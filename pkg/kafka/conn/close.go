package conn

import (
	"context"
	"fmt"
	"time"
)

// CloseWithin runs closeFn and gives up after d: several kafka-go Close
// methods can block indefinitely on a broken connection (kafka-go issues
// 428, 1248, 1353), and a shutdown must never hang on one. When it gives
// up, the close goroutine is left to finish on its own and the error says
// so; what is named what in both errors.
func CloseWithin(d time.Duration, what string, closeFn func() error) error {
	done := make(chan error, 1)
	go func() { done <- closeFn() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("close %s: %w", what, err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("close %s: still blocked after %s; abandoned", what, d)
	}
}

// Remaining is d, or less when ctx's deadline comes sooner (at least 1ms,
// so a close is still attempted once): the bound to give CloseWithin
// during a stop that has its own deadline.
func Remaining(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(min(d, time.Until(dl)), time.Millisecond)
	}
	return d
}
