// Package proflabel names the pprof labels the engine sets on the
// goroutines working for a handler, and that the watchdog reads back from
// the goroutine profile. It is shared through pkg/internal because the
// watchdog must not import the engine; services use
// watchdog.LabelHandler.
package proflabel

// Handler is the pprof label the engine sets to the handler's name on
// every goroutine working for it. Goroutines a handler starts inherit it,
// so a leaked one is attributed to its handler.
const Handler = "handler"
