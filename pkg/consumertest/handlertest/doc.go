// Package handlertest tests a handler the way the engine runs it, without
// a broker.
//
// Run (or New(...).Run, to add the service's middleware or choose the
// subscription) passes messages through the engine's own partition run:
// the service's middleware, the handler's own, the framework's Recover,
// each attempt under its deadline, retries with their backoffs, and the
// engine's decision of each message's one outcome — success, retried,
// dead_lettered, failed, or rescheduled to a retry topic — with dead
// letters kept in memory. What comes back is what the engine decided,
// message by message, with the dead letters and their reasons: a test
// asserts on outcomes, not on a re-implementation of the retry rules.
//
// VerifyNoLeaks fails a handler that leaves goroutines behind (production
// failure F2: a cache, with its own goroutine, built per message and
// never stopped), naming where they are.
//
// For a handler's output, Publisher records what the handler publishes,
// and can fail, standing in for the service's publisher.
package handlertest
