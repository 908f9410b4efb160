package kafka

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// deadlinePrecision is the README's promise for how late the deadline
// enforcer may
// end a call: a twentieth of the timeout, at most 250ms — and, so that a
// short timeout does not make every partition's enforcer spin, never
// finer than 10ms.
func deadlinePrecision(timeout time.Duration) time.Duration {
	return min(max(timeout/20, 10*time.Millisecond), 250*time.Millisecond)
}

// TestDeadlineTickIsATwentiethOfTheTimeoutAtMost250ms: the deadline
// enforcer checks deadlines often enough to keep the promise, and no more often than
// every 10ms.
func TestDeadlineTickIsATwentiethOfTheTimeoutAtMost250ms(t *testing.T) {
	for _, tt := range []struct {
		timeout, want time.Duration
	}{
		{time.Millisecond, 10 * time.Millisecond},
		{100 * time.Millisecond, 10 * time.Millisecond},
		{200 * time.Millisecond, 10 * time.Millisecond},
		{time.Second, 50 * time.Millisecond},
		{5 * time.Second, 250 * time.Millisecond},
		{10 * time.Second, 250 * time.Millisecond},
		{time.Minute, 250 * time.Millisecond},
		{time.Hour, 250 * time.Millisecond},
	} {
		tick := deadlineTick(tt.timeout)
		if tick <= 0 || tick > 250*time.Millisecond || tick < 10*time.Millisecond {
			t.Errorf("timeout %s: tick %s, want within [10ms, 250ms]", tt.timeout, tick)
		}
		if tt.timeout >= 200*time.Millisecond && tick > tt.timeout/20 {
			t.Errorf("timeout %s: tick %s is coarser than a twentieth of the timeout", tt.timeout, tick)
		}
		if tick != tt.want {
			t.Errorf("timeout %s: tick %s, want %s", tt.timeout, tick, tt.want)
		}
	}
}

// TestAHandlerIgnoringItsContextLosesItAtItsDeadline: the deadline
// enforcer ends the context of a call that ignores it no earlier than
// handler_timeout and no later than the promised precision after it, with
// context.DeadlineExceeded; the call counts as a zombie zombie_grace later
// (on the same enforcer's tick), and when it finally returns its error it
// gets its outcome and the zombie count is taken back. On the bubble's
// clock, so the bounds are exact; an enforcer ticking every 5s misses them
// by seconds.
func TestAHandlerIgnoringItsContextLosesItAtItsDeadline(t *testing.T) {
	for _, timeout := range []time.Duration{200 * time.Millisecond, time.Second, 10 * time.Second, time.Minute} {
		t.Run(timeout.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := make(chan context.Context, 1)
				release := newGate()
				handlers := registry.Empty().Add("h", message.HandlerFunc(func(ctx context.Context, _ *message.Message) error {
					calls <- ctx
					release.wait() // ignores ctx
					return ctx.Err()
				}))
				cfg := testConfig(nil)
				cfg.ZombieGrace = 3 * time.Second
				r := newRig(t, cfg, registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(1), HandlerTimeout: timeout}, handlers)
				t.Cleanup(release.open)
				wait := r.deliverAsync(messages(0, 1)...)
				ctx := <-calls
				start := time.Now()
				<-ctx.Done()
				ended := time.Since(start)
				if ended < timeout || ended > timeout+deadlinePrecision(timeout) {
					t.Fatalf("the context ended %s after the call began; want within [%s, %s]", ended, timeout, timeout+deadlinePrecision(timeout))
				}
				if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
					t.Fatalf("ctx.Err() = %v, want context.DeadlineExceeded", ctx.Err())
				}
				synctest.Wait()
				if z := r.p.zombies.Load(); z != 0 {
					t.Fatalf("%d zombies right at the deadline; zombie_grace is %s", z, cfg.ZombieGrace)
				}
				time.Sleep(cfg.ZombieGrace + deadlinePrecision(timeout))
				synctest.Wait()
				if z := r.p.zombies.Load(); z != 1 {
					t.Fatalf("%d zombies zombie_grace after the deadline, want 1", z)
				}
				release.open()
				wait()
				if r.outcome(delivery.OutcomeFailed) != 1 || r.p.zombies.Load() != 0 {
					t.Fatalf("failed %d, zombies %d after the call returned; want 1 and 0", r.outcome(delivery.OutcomeFailed), r.p.zombies.Load())
				}
			})
		})
	}
}
