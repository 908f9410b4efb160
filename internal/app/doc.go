// Package app runs the service: it starts components in order, waits for a
// signal or the first component failure, then stops them in reverse order
// under one shutdown deadline, logging how long each took and naming any
// that overran. The returned error is the reason the app ended, joined with
// every stop failure; nil means a clean shutdown.
package app
