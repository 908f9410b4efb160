package lifecycle

import (
	"testing"
	"time"
)

// TestShutdownConfigValidate: the default (30s, as the README documents)
// is valid; a timeout of zero or below is refused with its setting named,
// and the smallest positive one is accepted.
func TestShutdownConfigValidate(t *testing.T) {
	if got := DefaultShutdownConfig(); got.Timeout != 30*time.Second || len(got.Validate()) != 0 {
		t.Fatalf("default %s: %v; want a valid 30s", got.Timeout, got.Validate())
	}
	for _, tt := range []struct {
		timeout time.Duration
		want    string
	}{
		{0, "shutdown.timeout must be > 0, got 0s"},
		{-time.Second, "shutdown.timeout must be > 0, got -1s"},
		{time.Nanosecond, ""},
	} {
		errs := ShutdownConfig{Timeout: tt.timeout}.Validate()
		switch {
		case tt.want == "" && len(errs) != 0:
			t.Errorf("timeout %s: %v; want valid", tt.timeout, errs)
		case tt.want != "" && (len(errs) != 1 || errs[0].Error() != tt.want):
			t.Errorf("timeout %s: %v; want %q", tt.timeout, errs, tt.want)
		}
	}
}
