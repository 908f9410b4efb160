//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestHandlerTimeoutCancelsTheCall: a call that outlives HandlerTimeout sees
// its context end with DeadlineExceeded; the error is transient, so the
// message is retried and its outcome is "retried".
func TestHandlerTimeoutCancelsTheCall(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("timeout", 1)
	var calls atomic.Int64
	var firstErr atomic.Value
	h := message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
		if calls.Add(1) == 1 {
			<-ctx.Done()
			firstErr.Store(ctx.Err())
			return ctx.Err()
		}
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
	cfg.HandlerTimeout = 200 * time.Millisecond
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	b.produce(topic, 0, 1, strconv.Itoa)
	consumertest.Eventually(t, "the retried outcome", func() bool { return outcomes(e, topic, "h", delivery.OutcomeRetried) == 1 })
	if err, _ := firstErr.Load().(error); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first call ended with %v, want deadline exceeded", err)
	}
}

// TestHandlerContextEndsOnShutdownAndRevoke: a handler still running when
// its partition is revoked, or when the engine stops, loses its context
// once the drain timeout passes, with a cause naming why; its message gets
// no outcome of any kind, is not committed and goes to the next owner.
// Exactly: offsets 0-4 finish before it and are committed by the final
// commit, offset 5 is called twice (cut, then by the next owner), 6-9
// once; the members record 10 successes between them and nothing else,
// and each one's fetched messages are its outcomes plus what it released.
func TestHandlerContextEndsOnShutdownAndRevoke(t *testing.T) {
	for _, reason := range []string{"shutdown", "revoke"} {
		t.Run(reason, func(t *testing.T) {
			const total, cutAt = 10, 5
			b := newTestBroker(t)
			topic := b.createTopic("ctx-"+reason, 1)
			var mu sync.Mutex
			var cause error
			calls := map[int64]int{}
			blocked := make(chan struct{})
			var interrupted atomic.Bool
			// Blocks on offset 5 once, until its context ends; afterwards
			// offset 5 is handled normally, by whichever member owns the
			// partition next (after a rebalance that may be either).
			h := message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
				mu.Lock()
				calls[m.Offset]++
				mu.Unlock()
				if m.Offset == cutAt && interrupted.CompareAndSwap(false, true) {
					close(blocked)
					<-ctx.Done()
					mu.Lock()
					cause = context.Cause(ctx)
					mu.Unlock()
					return ctx.Err()
				}
				return nil
			})
			cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
			cfg.DrainTimeout = 300 * time.Millisecond
			a := b.startEngine(cfg, registry.Empty().Add("h", h))
			b.produce(topic, 0, total, strconv.Itoa)
			<-blocked
			if reason == "shutdown" {
				a.stop(t)
				// The stopped member recorded offsets 0-4 and nothing for 5.
				for _, o := range delivery.Outcomes() {
					if want := map[delivery.Outcome]int{delivery.OutcomeSuccess: cutAt}[o]; outcomes(a, topic, "h", o) != want {
						t.Fatalf("after the shutdown: %d %s outcomes, want %d", outcomes(a, topic, "h", o), o, want)
					}
				}
				if committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1); committed[0] != cutAt {
					t.Fatalf("final commit at %d, want %d: up to the cut message and not past it", committed[0], cutAt)
				}
			}
			second := b.startEngine(cfg, registry.Empty().Add("h", h)) // for "revoke", joining revokes the partition from a
			consumertest.Eventually(t, "every message handled and committed by the partition's owners", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(calls) == total && calls[cutAt] == 2 && allCommitted(t, b, cfg.GroupID, topic, 1)()
			})
			a.stop(t)
			second.stop(t)
			mu.Lock()
			defer mu.Unlock()
			if cause == nil || !strings.Contains(cause.Error(), reason+" drain timeout") || !errors.Is(cause, errRevoked) {
				t.Fatalf("handler context cause %v, want the %s drain timeout", cause, reason)
			}
			for off := range int64(total) {
				if want := map[bool]int{true: 2, false: 1}[off == cutAt]; calls[off] != want {
					t.Fatalf("offset %d called %d times, want %d (calls %v)", off, calls[off], want, calls)
				}
			}
			// The cut call got no outcome, of any kind, on either member.
			for _, o := range delivery.Outcomes() {
				got := outcomes(a, topic, "h", o) + outcomes(second, topic, "h", o)
				if want := map[delivery.Outcome]int{delivery.OutcomeSuccess: total}[o]; got != want {
					t.Fatalf("%d %s outcomes between the members, want %d: an interrupted message must get no outcome", got, o, want)
				}
			}
			_, _, released := assertAccounting(t, a, second)
			if released < 1 {
				t.Fatalf("nothing released: the cut message must be")
			}
		})
	}
}
