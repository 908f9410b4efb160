//go:build !brokerfree

package kafka

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestCommitsEveryCommitInterval: while messages flow, the committed
// offset advances every commit_interval — seen on the broker several times
// while the engine runs, not only at its stop — and never more often: over
// the engine's life there are at most as many successful commits as
// intervals elapsed, plus one final commit per generation. The committed
// offset never passes what the handler finished.
func TestCommitsEveryCommitInterval(t *testing.T) {
	const interval, advances = 300 * time.Millisecond, 5
	b := newTestBroker(t)
	topic := b.createTopic("commit-interval", 1)
	var handled atomic.Int64
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
	cfg.CommitInterval = interval
	started := time.Now()
	e := b.startEngine(cfg, registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error {
		handled.Add(1)
		return nil
	})))

	// A steady flow, one message at a time, until the committed offset
	// has been seen to advance enough times: a handful of intervals
	// normally; 50 intervals is the give-up point on a loaded machine.
	var seen []int64
	last := int64(-1)
	for next := 0; len(seen) < advances && time.Since(started) < 50*interval; next++ {
		b.produce(topic, next, next+1, strconv.Itoa)
		committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1)
		done := handled.Load() // after the commit was read: it can only have grown since
		if committed[0] > done {
			t.Fatalf("committed offset %d while only %d messages were handled", committed[0], done)
		}
		if committed[0] > last && committed[0] > 0 {
			seen = append(seen, committed[0])
			last = committed[0]
		}
		time.Sleep(interval / 6) // the pace of the flow, not a wait for a result
	}
	if len(seen) < advances {
		t.Fatalf("the committed offset advanced %d times (%v) in %s of steady flow with commit_interval %s, before any stop: want %d",
			len(seen), seen, time.Since(started).Round(time.Millisecond), interval, advances)
	}
	e.stop(t)
	elapsed := time.Since(started)
	commits := testutil.ToFloat64(e.metrics.commits.WithLabelValues("success"))
	generations := testutil.ToFloat64(e.metrics.rebalances)
	if bound := float64(elapsed/interval) + generations; commits > bound {
		t.Fatalf("%v commits in %s with commit_interval %s over %v generations: more than one per interval (bound %v)",
			commits, elapsed.Round(time.Millisecond), interval, generations, bound)
	}
	t.Logf("committed offset seen advancing to %v while running; %v commits in %s (commit_interval %s)",
		seen, commits, elapsed.Round(time.Millisecond), interval)
}
