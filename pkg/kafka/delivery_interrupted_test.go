package kafka

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestRevokeDuringBackoffLeavesNoOutcome: a backoff of an hour ends as
// soon as the generation ends; the message gets no outcome and stays
// uncommitted, for the next owner.
func TestRevokeDuringBackoffLeavesNoOutcome(t *testing.T) {
	var calls atomic.Int32
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { calls.Add(1); return errBusy }))
	sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, DeadLetter: registry.DeadLetterConfig{Enabled: true},
		Retry: registry.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Hour, MaxBackoff: time.Hour}}
	cfg := testConfig(nil)
	cfg.StallTimeout = 24 * time.Hour // the hour-long backoff is the point, not a stall
	r := newRig(t, cfg, sub, handlers)
	wait := r.deliverAsync(messages(0, 1)...)
	consumertest.Eventually(t, "the first attempt", func() bool { return calls.Load() == 1 })
	r.endGeneration()
	wait()
	if r.outcomes() != 0 || r.p.window.inFlight() != 1 || r.committable() != -1 || calls.Load() != 1 {
		t.Fatalf("outcomes %d, in flight %d, committable %d, calls %d", r.outcomes(), r.p.window.inFlight(), r.committable(), calls.Load())
	}
}

// TestCallCutByTheDrainGetsNoOutcome: a call that fails because the drain
// deadline ended its context records nothing, even a permanent error: the
// failure may be the drain's, not the message's.
func TestCallCutByTheDrainGetsNoOutcome(t *testing.T) {
	started := make(chan struct{})
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(ctx context.Context, _ *message.Message) error {
		close(started)
		<-ctx.Done()
		return message.Permanent(fmt.Errorf("gave up: %w", context.Cause(ctx)))
	}))
	sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(3), DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	r := newRig(t, testConfig(nil), sub, handlers)
	wait := r.deliverAsync(messages(0, 1)...)
	<-started
	r.endGeneration()
	r.endDrain(fmt.Errorf("%w: test drain timeout passed", errRevoked))
	r.p.calls.Load().cancelAll()
	wait()
	if r.outcomes() != 0 || len(r.letters.letters()) != 0 || r.p.window.inFlight() != 1 {
		t.Fatalf("outcomes %d, letters %d, in flight %d", r.outcomes(), len(r.letters.letters()), r.p.window.inFlight())
	}
}

// TestZombieCountIsTakenBackExactlyOnce (issue 9, finding 4): a call
// returning at the moment the deadline enforcer marks it a zombie is
// counted and taken back exactly once, never leaked.
func TestZombieCountIsTakenBackExactlyOnce(t *testing.T) {
	const rounds = 100_000
	slots := newCallSlots(1)
	var count atomic.Int64
	for range rounds {
		c := startedCall(context.Background(), time.Now(), time.Now())
		c.cancel(context.DeadlineExceeded)
		slots.slots[0].Store(c)
		var wg sync.WaitGroup
		wg.Go(func() { count.Add(int64(slots.zombies(time.Now(), 0))) })
		wg.Go(func() {
			slots.slots[0].Store(nil)
			if c.end(c.clock.now()) == callZombie {
				count.Add(-1)
			}
		})
		wg.Wait()
	}
	if n := count.Load(); n != 0 {
		t.Fatalf("%d zombie counts leaked in %d calls", n, rounds)
	}
}
