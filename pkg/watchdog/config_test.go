package watchdog

import (
	"strings"
	"testing"
	"time"
)

// TestConfigValidate: the default is valid, and so is every setting at
// its documented bound (keep >= 1, max_capture_bytes >= 64 KiB, interval
// > 0, leak_interval > 0, leak_samples >= 2, leak_growth >= 1); one step
// past a bound is refused, naming the setting.
func TestConfigValidate(t *testing.T) {
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatalf("default: %v", errs)
	}
	if errs := (Config{}).Validate(); len(errs) != 5 {
		t.Fatalf("zero value: want 5 problems, got %v", errs)
	}
	least := Config{DiagDir: "d", Keep: 1, MaxCaptureBytes: 64 << 10, Interval: time.Nanosecond, LeakInterval: time.Nanosecond, LeakSamples: 2, LeakGrowth: 1}
	if errs := least.Validate(); len(errs) != 0 {
		t.Fatalf("every setting at its bound: %v", errs)
	}
	for _, tt := range []struct {
		name   string
		breaks func(*Config)
		want   string
	}{
		{"diag_dir empty", func(c *Config) { c.DiagDir = "" }, "watchdog.diag_dir must not be empty"},
		{"keep 0", func(c *Config) { c.Keep = 0 }, "watchdog.keep must be >= 1, got 0"},
		{"max_capture_bytes 64KiB-1", func(c *Config) { c.MaxCaptureBytes = 64<<10 - 1 }, "watchdog.max_capture_bytes must be >= 65536, got 65535"},
		{"interval 0", func(c *Config) { c.Interval = 0 }, "watchdog.interval must be > 0, got 0s"},
		{"leak_interval 0", func(c *Config) { c.LeakInterval = 0 }, "leak_interval > 0"},
		{"leak_samples 1", func(c *Config) { c.LeakSamples = 1 }, "leak_samples >= 2"},
		{"leak_growth 0", func(c *Config) { c.LeakGrowth = 0 }, "leak_growth >= 1"},
	} {
		c := least
		tt.breaks(&c)
		if errs := c.Validate(); len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
			t.Errorf("%s: %v; want one error with %q", tt.name, errs, tt.want)
		}
	}
}
