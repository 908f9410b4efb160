package kafka

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestCapTextCutsOnARuneBoundaryWithinTheLimit: text that fits is kept as
// it is, to the byte; longer text is cut to at most n bytes, never inside
// a character, and marked; text that is not UTF-8 at all is still cut
// within n, never out of range.
func TestCapTextCutsOnARuneBoundaryWithinTheLimit(t *testing.T) {
	const n = 40
	exact := strings.Repeat("a", n)
	if got := capText(exact, n); got != exact {
		t.Errorf("text of exactly %d bytes: got %q, want it unchanged", n, got)
	}
	for _, s := range []string{
		strings.Repeat("a", n+1),
		strings.Repeat("é", n), // two bytes each: every other byte is inside a character
		strings.Repeat("日", n), // three bytes each
		strings.Repeat("\x80", 3*n),
	} {
		got := capText(s, n)
		if len(got) > n || !strings.HasSuffix(got, "… (cut)") {
			t.Errorf("capText(%q…, %d) = %q: want at most %d bytes ending in the cut mark", s[:8], n, got, n)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Errorf("capText(%q…, %d) = %q: cut inside a character", s[:8], n, got)
		}
		if body := strings.TrimSuffix(got, "… (cut)"); !strings.HasPrefix(s, body) {
			t.Errorf("capText(%q…, %d) = %q: not a prefix of the text", s[:8], n, got)
		}
	}
}

// TestRetryPolicyValidateAcceptsItsLimits: one attempt, and a maximum
// backoff equal to the initial one, are valid; below them is not.
func TestRetryPolicyValidateAcceptsItsLimits(t *testing.T) {
	for _, tc := range []struct {
		p     registry.RetryPolicy
		valid bool
	}{
		{registry.RetryPolicy{MaxAttempts: 1, InitialBackoff: time.Second, MaxBackoff: time.Second}, true},
		{registry.RetryPolicy{MaxAttempts: 0, InitialBackoff: time.Second, MaxBackoff: time.Second}, false},
		{registry.RetryPolicy{MaxAttempts: 1, InitialBackoff: 0, MaxBackoff: time.Second}, false},
		{registry.RetryPolicy{MaxAttempts: 1, InitialBackoff: 2 * time.Second, MaxBackoff: time.Second}, false},
	} {
		if errs := tc.p.Validate("retry"); (len(errs) == 0) != tc.valid {
			t.Errorf("%+v: errors %v, want valid=%v", tc.p, errs, tc.valid)
		}
	}
}
