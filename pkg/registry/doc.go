// Package registry is where a service declares its handlers: each one's
// name, kind, middleware and default subscriptions, once, next to its
// constructor, as a Registration. The injector collects a service's
// registrations into one Registry, which the engine reads.
//
// The package imports only message and the standard library, so a
// service declares its handlers without importing the engine.
package registry
