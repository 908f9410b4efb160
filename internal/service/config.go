package service

import (
	"fmt"
	"slices"
)

// Config configures the example service.
type Config struct {
	// OutputTopic receives enriched orders, keyed like their input.
	OutputTopic string `yaml:"output_topic"`
	// InputTopic is the topic of the enricher's default subscription
	// (OrdersEnricher.Registration), and where the demo feed writes.
	InputTopic string `yaml:"input_topic"`
	// Customers is how many customers the demo directory knows
	// (ids c-00001 to c-NNNNN); orders for others fail permanently.
	Customers int `yaml:"customers"`
	// DemoFault makes the example misbehave like one of the production
	// failures the framework exists for: batchstall (F1), leak (F2),
	// errorpath (F3), deadlock (F4), slow (F5); or panic, a handler that
	// panics on the first attempt of 0.1% of the orders. Empty is off.
	DemoFault string `yaml:"demo_fault"`
	// AllowDemoFault permits DemoFault on real brokers (Settings.Validate).
	AllowDemoFault bool `yaml:"allow_demo_fault"`
}

// DemoFaults lists the faults DemoFault accepts.
var demoFaults = []string{"batchstall", "leak", "errorpath", "deadlock", "slow", "panic"}

// DefaultConfig reads orders and writes orders.enriched.
func DefaultConfig() Config {
	return Config{InputTopic: "orders", OutputTopic: "orders.enriched", Customers: 1000}
}

// Validate returns every problem with the configuration.
func (c Config) Validate() []error {
	var errs []error
	if c.OutputTopic == "" {
		errs = append(errs, fmt.Errorf("service.output_topic must not be empty"))
	}
	if c.InputTopic == "" {
		errs = append(errs, fmt.Errorf("service.input_topic must not be empty"))
	}
	if c.InputTopic != "" && c.InputTopic == c.OutputTopic {
		errs = append(errs, fmt.Errorf("service.output_topic must differ from service.input_topic (%q), or the service consumes its own output", c.InputTopic))
	}
	if c.DemoFault != "" && !slices.Contains(demoFaults, c.DemoFault) {
		errs = append(errs, fmt.Errorf("service.demo_fault %q: must be one of %v", c.DemoFault, demoFaults))
	}
	if c.Customers < 1 || c.Customers > 99999 {
		errs = append(errs, fmt.Errorf("service.customers must be between 1 and 99999, got %d", c.Customers))
	}
	return errs
}
