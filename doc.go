// Package consumerkit holds the one Wire injector, InitializeApp, which
// builds every singleton of the service — logger, metrics registry, caches,
// services, engine, admin server — exactly once and returns the cleanup that
// releases them. It is the only package that knows every other one.
package consumerkit
