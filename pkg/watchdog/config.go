package watchdog

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Config places and paces evidence capture.
type Config struct {
	// DiagDir receives one directory per capture. In Kubernetes mount a
	// volume here (an emptyDir outlives container restarts).
	DiagDir string `yaml:"diag_dir"`
	// Keep is how many captures are kept; older ones are deleted.
	Keep int `yaml:"keep"`
	// MaxCaptureBytes bounds the bytes one capture writes; a capture that
	// reaches it is cut there. DiagDir never holds more than Keep times
	// this (a Kubernetes emptyDir's sizeLimit must allow that, or the
	// kubelet evicts the pod for its own evidence).
	MaxCaptureBytes int64 `yaml:"max_capture_bytes"`
	// Interval is how often liveness is checked.
	Interval time.Duration `yaml:"interval"`
	// LeakInterval is how often goroutines are counted per handler; a
	// handler whose count rose at each of LeakSamples samples by
	// LeakGrowth in all is suspected of leaking.
	LeakInterval time.Duration `yaml:"leak_interval"`
	LeakSamples  int           `yaml:"leak_samples"`
	LeakGrowth   int           `yaml:"leak_growth"`
}

// minCaptureBytes is the least MaxCaptureBytes: room for the reason, the
// state and a dump of a few goroutines.
const minCaptureBytes = 64 << 10

// DefaultConfig keeps 5 captures of at most 32 MiB each under the temp
// directory, checking every second.
func DefaultConfig() Config {
	return Config{DiagDir: filepath.Join(os.TempDir(), "consumerkit-diag"), Keep: 5, MaxCaptureBytes: 32 << 20,
		Interval: time.Second, LeakInterval: 10 * time.Second, LeakSamples: 3, LeakGrowth: 50}
}

// Validate returns every problem with the configuration.
func (c Config) Validate() []error {
	var errs []error
	if c.DiagDir == "" {
		errs = append(errs, fmt.Errorf("watchdog.diag_dir must not be empty"))
	}
	if c.Keep < 1 {
		errs = append(errs, fmt.Errorf("watchdog.keep must be >= 1, got %d", c.Keep))
	}
	if c.MaxCaptureBytes < minCaptureBytes {
		errs = append(errs, fmt.Errorf("watchdog.max_capture_bytes must be >= %d, got %d", minCaptureBytes, c.MaxCaptureBytes))
	}
	if c.Interval <= 0 {
		errs = append(errs, fmt.Errorf("watchdog.interval must be > 0, got %s", c.Interval))
	}
	if c.LeakInterval <= 0 || c.LeakSamples < 2 || c.LeakGrowth < 1 {
		errs = append(errs, fmt.Errorf("watchdog: need leak_interval > 0, leak_samples >= 2, leak_growth >= 1"))
	}
	return errs
}
