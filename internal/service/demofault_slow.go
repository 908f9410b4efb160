package service

import (
	"context"
	"fmt"
	"time"
)

// slowDownstreamDelay is how long F5's downstream takes per write.
const slowDownstreamDelay = 800 * time.Millisecond

// slowWriter is F5 around the sink: every write to the downstream first
// takes delay, as the cross-DC dependency did. It honours the call's
// deadline, so a slow downstream slows consumption (lag grows, fetching
// pauses) but never piles up goroutines.
type slowWriter struct {
	next  OrderWriter
	delay time.Duration
}

// Write implements OrderWriter.
func (w slowWriter) Write(ctx context.Context, orders []EnrichedOrder) error {
	if len(orders) == 0 {
		return w.next.Write(ctx, orders)
	}
	t := time.NewTimer(w.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return w.next.Write(ctx, orders)
	case <-ctx.Done():
		return fmt.Errorf("slow downstream: %w", context.Cause(ctx))
	}
}
