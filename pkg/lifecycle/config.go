package lifecycle

import (
	"fmt"
	"time"
)

// ShutdownConfig bounds how long a whole service may take to stop.
type ShutdownConfig struct {
	// Timeout bounds the whole stop sequence; keep it below the platform's
	// grace period (Kubernetes terminationGracePeriodSeconds).
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultShutdownConfig allows 30s.
func DefaultShutdownConfig() ShutdownConfig { return ShutdownConfig{Timeout: 30 * time.Second} }

// Validate returns every problem with the configuration.
func (c ShutdownConfig) Validate() []error {
	if c.Timeout <= 0 {
		return []error{fmt.Errorf("shutdown.timeout must be > 0, got %s", c.Timeout)}
	}
	return nil
}
