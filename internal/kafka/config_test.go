package kafka

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func problems(errs []error) string { return errors.Join(errs...).Error() }

// TestValidateRejectsARetryBudgetThatCannotFit (issue 9): a message whose
// every attempt runs into its deadline must reach its outcome before its
// partition looks stalled; a configuration where it cannot is refused,
// with the arithmetic.
func TestValidateRejectsARetryBudgetThatCannotFit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StallTimeout = 15 * time.Second
	cfg.HandlerTimeout = 2 * time.Second
	cfg.Subscriptions[0].Retry = RetryPolicy{MaxAttempts: 5, InitialBackoff: 200 * time.Millisecond, MaxBackoff: time.Second}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("5 × 2s + (200ms + 400ms + 800ms + 1s) = 12.4s fits in 15s: %v", errs)
	}
	// Rejected, as computed.
	cfg.StallTimeout = 12400 * time.Millisecond
	errs := cfg.Validate()
	if len(errs) != 1 || !strings.Contains(problems(errs), "max_attempts 5 × handler_timeout 2s + backoffs of up to 2.4s = 12.4s, must be below kafka.stall_timeout (12.4s)") {
		t.Fatalf("got %v", errs)
	}
	// A subscription's own handler_timeout counts, not the engine's.
	cfg.StallTimeout = time.Minute
	cfg.Subscriptions[0].HandlerTimeout = 20 * time.Second
	if errs := cfg.Validate(); len(errs) != 1 || !strings.Contains(problems(errs), "handler_timeout 20s") {
		t.Fatalf("got %v", errs)
	}
}

// TestValidateFindsARetryTopicAlsoSubscribedInEitherOrder (issue 9,
// finding 6).
func TestValidateFindsARetryTopicAlsoSubscribedInEitherOrder(t *testing.T) {
	withRetry := Subscription{Topic: "orders", Handler: "h", Ordering: OrderingPartition, RetryTopic: RetryTopicConfig{Enabled: true}}
	plain := Subscription{Topic: "orders.retry", Handler: "h", Ordering: OrderingPartition}
	for name, subs := range map[string][]Subscription{
		"retry topic first": {plain, withRetry},
		"retry topic last":  {withRetry, plain},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Subscriptions = subs
			if got := problems(cfg.Validate()); !strings.Contains(got, `retry_topic.topic "orders.retry" is also subscribed`) {
				t.Fatalf("got %s", got)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Subscriptions = []Subscription{plain, plain}
	if got := problems(cfg.Validate()); strings.Count(got, "is subscribed twice") != 1 || !strings.Contains(got, `[1].topic "orders.retry" is subscribed twice`) {
		t.Fatalf("got %s", got)
	}
}

// TestValidateReadsTheTLSFiles (issue 9, finding 6): a missing or
// unparsable certificate file is bad configuration, found before any
// connection, naming its setting.
func TestValidateReadsTheTLSFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		tls  TLSConfig
		want []string
	}{
		{"missing CA", TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "nope.pem")}, []string{"kafka.tls.ca_file", "no such file"}},
		{"CA without a certificate", TLSConfig{Enabled: true, CAFile: garbage}, []string{"kafka.tls.ca_file", "no PEM certificate found"}},
		{"bad client pair", TLSConfig{Enabled: true, CertFile: garbage, KeyFile: garbage}, []string{"kafka.tls.cert_file and key_file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.TLS = tt.tls
			got := problems(cfg.Validate())
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Fatalf("missing %q in %s", w, got)
				}
			}
		})
	}
	cfg := DefaultConfig()
	cfg.TLS = TLSConfig{Enabled: true}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("TLS with the system's roots: %v", errs)
	}
}

func TestRetryPolicyDelayBudgetAndValidate(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt := 1; attempt < 40; attempt++ {
		ceiling := min(p.InitialBackoff<<min(attempt-1, 30), p.MaxBackoff)
		if d := p.Delay(attempt); d < ceiling/2 || d > ceiling {
			t.Fatalf("attempt %d: %s", attempt, d)
		}
	}
	if got := p.Budget(time.Second); got != 3*time.Second+100*time.Millisecond+200*time.Millisecond {
		t.Fatalf("budget %s: 3 attempts of 1s and the longest backoffs, 100ms and 200ms", got)
	}
	long := RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: 1500 * time.Millisecond}
	if got := long.Budget(0); got != time.Second+1500*time.Millisecond+1500*time.Millisecond {
		t.Fatalf("budget %s: backoffs 1s, then capped at 1.5s twice", got)
	}
	if errs := (RetryPolicy{}).Validate("x.retry"); len(errs) != 2 {
		t.Fatalf("want 2 problems, got %v", errs)
	}
	if errs := DefaultRetryPolicy().Validate("x"); len(errs) != 0 {
		t.Fatal(errs)
	}
}
