// Package config builds the service's one Config from each package's own
// section: defaults, overridden by a YAML file (--config), overridden by
// environment variables, overridden by flags. Load reports every problem at
// once, one per line, before any connection is made.
package config
