// Package consumertest is the test kit for handler authors and for the
// framework's own tests: what every test of a consumer needs, whatever
// it tests.
//
//   - Eventually polls a condition under one generous bound, Patience, and
//     fails naming what it waited for: the one way a test waits.
//   - CounterValue, GaugeValue, Samples and Sum read metrics from any
//     prometheus.Gatherer (a registry, or an admin server's /metrics read
//     by Scrape), matching label values exactly, never by text.
//
// The rest of the kit lives beside it, so that a test imports only what
// it uses and this package imports nothing else of the framework (every
// framework package's own tests can use it without an import cycle):
//
//   - consumertest/handlertest runs a handler or batch handler in memory
//     through the real call chain and the engine's own retry and
//     dead-letter decisions, and checks a handler for goroutine leaks;
//   - kafka/kafkatest starts an embedded broker for a test, produces to a
//     chosen partition, reads a group's committed and end offsets and
//     reads a topic back.
//
// Every helper takes a TB, which *testing.T, *testing.B and *testing.F
// satisfy; a failure is reported through it, so a helper never needs
// checking by its caller.
package consumertest
