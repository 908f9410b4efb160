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

// TestDefaultRetryPolicy: the defaults the README states (3 attempts,
// 100ms doubling to at most 5s) and the budget they give.
func TestDefaultRetryPolicy(t *testing.T) {
	p := DefaultRetryPolicy()
	if p != (RetryPolicy{MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second}) {
		t.Fatalf("default policy %+v", p)
	}
	if got := p.Budget(time.Second); got != 3*time.Second+300*time.Millisecond {
		t.Fatalf("budget %s: 3 attempts of 1s, backoffs of at most 100ms and 200ms", got)
	}
}

// TestRetryPolicyValidateBoundaries: each rule refuses just past its
// limit and accepts the limit itself, naming where the policy sits.
func TestRetryPolicyValidateBoundaries(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    RetryPolicy
		want string // "" when valid
	}{
		{"one attempt", RetryPolicy{MaxAttempts: 1, InitialBackoff: 1, MaxBackoff: 1}, ""},
		{"no attempt", RetryPolicy{MaxAttempts: 0, InitialBackoff: 1, MaxBackoff: 1}, "s.retry.max_attempts must be >= 1, got 0"},
		{"zero backoff", RetryPolicy{MaxAttempts: 1, InitialBackoff: 0, MaxBackoff: 1}, "s.retry: need 0 < initial_backoff (0s) <= max_backoff (1ns)"},
		{"ceiling below start", RetryPolicy{MaxAttempts: 1, InitialBackoff: 2, MaxBackoff: 1}, "s.retry: need 0 < initial_backoff (2ns) <= max_backoff (1ns)"},
		{"ceiling at start", RetryPolicy{MaxAttempts: 1, InitialBackoff: 2, MaxBackoff: 2}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.p.Validate("s.retry")
			switch {
			case tt.want == "" && len(errs) > 0:
				t.Fatalf("valid policy refused: %v", errs)
			case tt.want != "" && (len(errs) != 1 || errs[0].Error() != tt.want):
				t.Fatalf("errors %v, want exactly %q", errs, tt.want)
			}
		})
	}
}
