package registry

import (
	"testing"
	"time"
)

// TestRetryPolicyBackoffNeverWrapsPastItsCeiling: doubling a long initial
// backoff through many attempts must not overflow into a short (or
// negative) wait: past MaxBackoff it stays at MaxBackoff.
func TestRetryPolicyBackoffNeverWrapsPastItsCeiling(t *testing.T) {
	// 3298564088538ns (about 55 minutes) doubled 24 times wraps around
	// int64 to about 5.7 days: below the week's ceiling, so a check made
	// after doubling would keep it.
	const initial = 3298564088538 * time.Nanosecond
	week := 7 * 24 * time.Hour
	p := RetryPolicy{MaxAttempts: 40, InitialBackoff: initial, MaxBackoff: week}
	for attempt := 1; attempt < p.MaxAttempts; attempt++ {
		ceiling := week
		if attempt <= 8 { // 55min × 2^7 is under a week, × 2^8 is over
			ceiling = initial << (attempt - 1)
		}
		if d := p.Delay(attempt); d < ceiling/2 || d > ceiling {
			t.Fatalf("attempt %d: delay %s, want within [%s, %s]", attempt, d, ceiling/2, ceiling)
		}
	}
	var want time.Duration
	for attempt := 1; attempt < p.MaxAttempts; attempt++ {
		want += min(initial<<min(attempt-1, 8), week)
	}
	if got := p.Budget(0); got != want {
		t.Fatalf("budget %s, want %s: doubling up to a week, then a week per backoff", got, want)
	}
}

// TestRetryPolicyBackoffReachesItsCeilingExactly: a doubled backoff that
// lands just under MaxBackoff is kept as it is; only one above it is cut.
func TestRetryPolicyBackoffReachesItsCeilingExactly(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 4, InitialBackoff: 100, MaxBackoff: 403}
	if got := p.Budget(0); got != 100+200+400 {
		t.Fatalf("budget %dns, want 700ns: 100, 200 and 400, all within the 403ns ceiling", got)
	}
	one := RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond}
	for range 100 {
		if d := one.Delay(1); d < 0 || d > time.Nanosecond {
			t.Fatalf("delay %s with a 1ns ceiling", d)
		}
	}
}
