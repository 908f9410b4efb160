// Package app runs the service: it starts components in order, waits for a
// signal or the first component failure, then stops them in reverse order
// within one shutdown timeout. Each stop gets its own share of that timeout,
// so a stop that hangs cannot leave the ones after it no time. It logs how
// long each stop took and names any that overran its share. The returned
// error is the reason the app ended, joined with every stop failure; nil
// means a clean shutdown.
package app
