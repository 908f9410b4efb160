package kafka

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/internal/message"
)

func TestCallContextExpiresAtItsDeadline(t *testing.T) {
	now := time.Now()
	s := newCallSlots(1)
	c := newCallContext(context.Background(), now, now.Add(50*time.Millisecond))
	s.slots[0].Store(c)
	if d, ok := c.Deadline(); !ok || !d.Equal(now.Add(50*time.Millisecond)) {
		t.Fatalf("deadline %v %v", d, ok)
	}
	s.expire(now.Add(49 * time.Millisecond))
	if c.Err() != nil {
		t.Fatal("cancelled before its deadline")
	}
	done := c.Done()
	s.expire(now.Add(50 * time.Millisecond))
	select {
	case <-done:
	default:
		t.Fatal("Done not closed at the deadline")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v", c.Err())
	}
}

// TestCallContextErrFollowsTheContextContract: Err is only ever
// context.Canceled or context.DeadlineExceeded (handlers compare against
// them); why a call ended at revoke or shutdown is its parent's cause,
// which context.Cause finds, while a call's own deadline is its cause.
func TestCallContextErrFollowsTheContextContract(t *testing.T) {
	parent, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("drain timeout passed"))
	c := newCallContext(parent, time.Now(), time.Now().Add(time.Hour))
	if c.Err() != context.Canceled || context.Cause(c).Error() != "drain timeout passed" {
		t.Fatalf("Err %v, Cause %v", c.Err(), context.Cause(c))
	}
	<-c.Done()

	live, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	d := newCallContext(live, time.Now(), time.Now())
	d.cancel(context.DeadlineExceeded)
	if d.Err() != context.DeadlineExceeded || context.Cause(d) != context.DeadlineExceeded {
		t.Fatalf("Err %v, Cause %v", d.Err(), context.Cause(d))
	}
}

// TestDerivedContextsNeedNoGoroutine: contexts a handler derives from its
// call context are cancelled with it, without the standard library's
// goroutine per derived context.
func TestDerivedContextsNeedNoGoroutine(t *testing.T) {
	c := newCallContext(context.Background(), time.Now(), time.Now().Add(time.Hour))
	before := runtime.NumGoroutine()
	var children []context.Context
	for range 1000 {
		child, cancel := context.WithTimeout(c, time.Hour)
		defer cancel()
		children = append(children, child)
	}
	if grown := runtime.NumGoroutine() - before; grown > 10 {
		t.Fatalf("%d goroutines for 1000 derived contexts", grown)
	}
	c.cancel(context.DeadlineExceeded)
	for _, child := range children {
		select {
		case <-child.Done():
		case <-time.After(hangGuard):
			t.Fatal("derived context not cancelled")
		}
	}
	stopped := c.AfterFunc(func() {})
	if stopped() {
		t.Fatal("AfterFunc on a cancelled context cannot be stopped")
	}
}

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
	cfg := testConfig([]Subscription{{Topic: topic, Handler: "h", Ordering: OrderingPartition}})
	cfg.HandlerTimeout = 200 * time.Millisecond
	e := b.startEngine(cfg, message.NewRegistry().Add("h", h))
	b.produce(topic, 0, 1, strconv.Itoa)
	waitFor(t, "the retried outcome", func() bool { return outcomes(e, topic, "h", message.OutcomeRetried) == 1 })
	if err, _ := firstErr.Load().(error); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first call ended with %v, want deadline exceeded", err)
	}
}

// TestHandlerContextEndsOnShutdownAndRevoke: a handler still running when
// its partition is revoked, or when the engine stops, loses its context
// once the drain timeout passes, with a cause naming why; its message is
// not committed and goes to the next owner.
func TestHandlerContextEndsOnShutdownAndRevoke(t *testing.T) {
	for _, reason := range []string{"shutdown", "revoke"} {
		t.Run(reason, func(t *testing.T) {
			b := newTestBroker(t)
			topic := b.createTopic("ctx-"+reason, 1)
			var mu sync.Mutex
			var cause error
			blocked := make(chan struct{})
			var interrupted atomic.Bool
			var handledAgain atomic.Bool
			// Blocks on offset 5 once, until its context ends; afterwards
			// offset 5 is handled normally, by whichever member owns the
			// partition next (after a rebalance that may be either).
			h := message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
				if m.Offset != 5 {
					return nil
				}
				if interrupted.CompareAndSwap(false, true) {
					close(blocked)
					<-ctx.Done()
					mu.Lock()
					cause = context.Cause(ctx)
					mu.Unlock()
					return ctx.Err()
				}
				handledAgain.Store(true)
				return nil
			})
			cfg := testConfig([]Subscription{{Topic: topic, Handler: "h", Ordering: OrderingPartition}})
			cfg.DrainTimeout = 300 * time.Millisecond
			a := b.startEngine(cfg, message.NewRegistry().Add("h", h))
			b.produce(topic, 0, 10, strconv.Itoa)
			<-blocked
			if reason == "shutdown" {
				a.stop(t)
			}
			b.startEngine(cfg, message.NewRegistry().Add("h", h)) // for "revoke", joining revokes the partition from a
			waitFor(t, "offset 5 to be handled by the partition's next owner", handledAgain.Load)
			mu.Lock()
			defer mu.Unlock()
			if cause == nil || !strings.Contains(cause.Error(), reason+" drain timeout") || !errors.Is(cause, errRevoked) {
				t.Fatalf("handler context cause %v, want the %s drain timeout", cause, reason)
			}
			if got := testutil.ToFloat64(a.metrics.messages.WithLabelValues(topic, "h", string(message.OutcomeFailed))); got != 0 {
				t.Fatalf("an interrupted message must get no outcome, got %v failed", got)
			}
		})
	}
}
