package config

import (
	"errors"
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/logging"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// Config is the framework's configuration, one section per package; the
// service's own sections come with its Section (see Load).
type Config struct {
	Kafka    kafka.Config             `yaml:"kafka"`
	Admin    admin.Config             `yaml:"admin"`
	Log      logging.Config           `yaml:"log"`
	Shutdown lifecycle.ShutdownConfig `yaml:"shutdown"`
	Watchdog watchdog.Config          `yaml:"watchdog"`
}

// Default is the framework's configuration on the embedded broker: what
// `consumer run` uses on a fresh machine.
func Default() Config {
	return Config{
		Kafka:    kafka.DefaultConfig(),
		Admin:    admin.DefaultConfig(),
		Log:      logging.DefaultConfig(),
		Shutdown: lifecycle.DefaultShutdownConfig(),
		Watchdog: watchdog.DefaultConfig(),
	}
}

// Validate returns every problem of every section, joined one per line.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, c.Kafka.Validate()...)
	errs = append(errs, c.Admin.Validate()...)
	errs = append(errs, c.Log.Validate()...)
	errs = append(errs, c.Shutdown.Validate()...)
	errs = append(errs, c.Watchdog.Validate()...)
	// The consumer's stop may wait this long for handlers before it
	// abandons them; the components stopped after it need time too. A
	// timeout that is not positive is already reported above.
	if wait := c.Kafka.DrainTimeout + c.Kafka.ZombieGrace; c.Shutdown.Timeout > 0 && c.Shutdown.Timeout <= wait {
		errs = append(errs, fmt.Errorf("shutdown.timeout (%s) must exceed kafka.drain_timeout + kafka.zombie_grace (%s): the consumer's stop may take that long, and the components after it need their share",
			c.Shutdown.Timeout, wait))
	}
	return errors.Join(errs...)
}

// Redacted returns a copy with every secret replaced, for printing.
func (c Config) Redacted() Config {
	c.Kafka = c.Kafka.Redacted()
	switch {
	case c.Admin.TokenFile != "":
		// Read from the file: printing the file's name says where, and
		// the printed configuration loads back without a second token.
		c.Admin.Token = ""
	case c.Admin.Token != "":
		c.Admin.Token = "REDACTED"
	}
	return c
}
