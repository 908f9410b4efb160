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
	// Interval is how often liveness is checked.
	Interval time.Duration `yaml:"interval"`
	// LeakInterval is how often goroutines are counted per handler; a
	// handler whose count rose at each of LeakSamples samples by
	// LeakGrowth in all is suspected of leaking.
	LeakInterval time.Duration `yaml:"leak_interval"`
	LeakSamples  int           `yaml:"leak_samples"`
	LeakGrowth   int           `yaml:"leak_growth"`
}

// DefaultConfig keeps 5 captures under the temp directory, checking every
// second.
func DefaultConfig() Config {
	return Config{DiagDir: filepath.Join(os.TempDir(), "consumerkit-diag"), Keep: 5, Interval: time.Second,
		LeakInterval: 10 * time.Second, LeakSamples: 3, LeakGrowth: 50}
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
	if c.Interval <= 0 {
		errs = append(errs, fmt.Errorf("watchdog.interval must be > 0, got %s", c.Interval))
	}
	if c.LeakInterval <= 0 || c.LeakSamples < 2 || c.LeakGrowth < 1 {
		errs = append(errs, fmt.Errorf("watchdog: need leak_interval > 0, leak_samples >= 2, leak_growth >= 1"))
	}
	return errs
}
