package consumertest

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestEventuallyReturnsAsSoonAsTheConditionHolds: the condition is asked
// at once, then every pollEvery, and Eventually returns on the first true
// — on the bubble's clock, so the wait is measured exactly.
func TestEventuallyReturnsAsSoonAsTheConditionHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		calls := 0
		start := time.Now()
		Eventually(r, "the third call", func() bool { calls++; return calls == 3 })
		if calls != 3 {
			t.Fatalf("condition asked %d times, want exactly 3 (the first true ends the wait)", calls)
		}
		if took := time.Since(start); took != 2*pollEvery {
			t.Fatalf("took %s on the bubble's clock, want %s: ask at once, then every %s", took, 2*pollEvery, pollEvery)
		}
		if f := r.failures(); f != "" {
			t.Fatalf("a condition that held failed the test: %s", f)
		}
	})
}

// TestEventuallyFailsAfterPatienceNamingWhatItWaitedFor: a condition that
// never holds fails the test once, when Patience has passed, with a
// message that names what was awaited.
func TestEventuallyFailsAfterPatienceNamingWhatItWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		start := time.Now()
		Eventually(r, "the moon to turn blue", func() bool { return false })
		took := time.Since(start)
		if len(r.fatals) != 1 || r.fatals[0] != "timed out after 2m0s waiting for the moon to turn blue" {
			t.Fatalf("failures %q, want one naming the bound and what was awaited", r.fatals)
		}
		if took < Patience || took > Patience+pollEvery {
			t.Fatalf("gave up after %s, want Patience (%s)", took, Patience)
		}
	})
}

// TestEventuallyAsksOnceMoreAtTheDeadline: a condition that holds only
// from the deadline on still passes — the bound is a safety net, and a
// last look costs nothing.
func TestEventuallyAsksOnceMoreAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		deadline := time.Now().Add(Patience)
		Eventually(r, "the deadline", func() bool { return !time.Now().Before(deadline) })
		if f := r.failures(); strings.TrimSpace(f) != "" {
			t.Fatalf("a condition that held at the deadline failed: %s", f)
		}
	})
}
