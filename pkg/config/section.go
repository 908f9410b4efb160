package config

// Section is a service's own part of the configuration, beside the
// framework's sections: config never imports the service, so the service
// hands its part to Load (cmd/consumer reaches it through the injector's
// package) and gets it back filled in place.
//
// A Section is a pointer to a struct whose exported fields are top-level
// sections of the configuration file, named by their yaml tags (the
// example's are service and demo); it holds their defaults when given to
// Load. A section name the framework uses too is an error of the program,
// reported by Load.
type Section interface {
	// Bind declares each setting of the section that an environment
	// variable and a flag override, by calling bind once per setting:
	// field points at the setting, one of *string, *bool, *int, *int64,
	// *float64, *time.Duration or *[]string (a comma-separated list). A
	// *bool flag may be given bare (--x means --x=true).
	Bind(bind func(env, flag, usage string, field any))
	// Validate returns every problem of the section. brokers are the
	// configured brokers, empty for the embedded one, for checks that
	// depend on where the service runs.
	Validate(brokers []string) []error
}
