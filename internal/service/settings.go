package service

import (
	"fmt"

	"github.com/consumerkit/consumerkit/internal/cache"
)

// Settings is the example's part of the configuration, beside the
// framework's: its own sections of the configuration file, and the
// environment variables and flags that override them. It is a
// config.Section: config.Load fills it, and the injector hands each
// section to the providers that need it.
type Settings struct {
	Service Config       `yaml:"service"`
	Demo    DemoConfig   `yaml:"demo"`
	Cache   cache.Config `yaml:"cache"`
}

// DefaultSettings returns the example's defaults.
func DefaultSettings() *Settings {
	return &Settings{Service: DefaultConfig(), Demo: DefaultDemoConfig(), Cache: cache.DefaultConfig()}
}

// Bind declares the settings that environment variables and flags
// override. The names are a contract: the README documents them.
func (s *Settings) Bind(bind func(env, flag, usage string, field any)) {
	bind("DEMO_RATE", "demo-rate", "demo orders per second on the embedded broker; 0 turns the demo producer off", &s.Demo.Rate)
	bind("DEMO_FAULT", "demo-fault", "make the example misbehave: batchstall (F1), leak (F2), errorpath (F3), deadlock (F4), slow (F5), panic (0.1% of orders panic once)", &s.Service.DemoFault)
	bind("ALLOW_DEMO_FAULT", "allow-demo-fault", "permit --demo-fault on real brokers (true/false)", &s.Service.AllowDemoFault)
	bind("DEMO_BAD_RATE", "demo-bad-rate", "fraction of demo orders sent malformed (they go to orders.dlq)", &s.Demo.BadRate)
}

// Validate returns every problem of the example's sections; brokers are
// the configured ones, empty for the embedded broker, where a demo fault
// is always allowed.
func (s *Settings) Validate(brokers []string) []error {
	errs := append(append(s.Service.Validate(), s.Demo.Validate()...), s.Cache.Validate()...)
	if s.Service.DemoFault != "" && len(brokers) > 0 && !s.Service.AllowDemoFault {
		errs = append(errs, fmt.Errorf("--demo-fault %s on real brokers (%v) is refused: it makes the service misbehave on purpose; add --allow-demo-fault if you mean it",
			s.Service.DemoFault, brokers))
	}
	return errs
}
