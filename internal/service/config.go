package service

import "fmt"

// Config configures the example service.
type Config struct {
	// OutputTopic receives enriched orders, keyed like their input.
	OutputTopic string `yaml:"output_topic"`
	// InputTopic is where the demo producer writes orders.
	InputTopic string `yaml:"input_topic"`
	// Customers is how many customers the demo directory knows
	// (ids c-00001 to c-NNNNN); orders for others fail permanently.
	Customers int `yaml:"customers"`
}

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
	if c.Customers < 1 || c.Customers > 99999 {
		errs = append(errs, fmt.Errorf("service.customers must be between 1 and 99999, got %d", c.Customers))
	}
	return errs
}
