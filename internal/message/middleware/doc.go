// Package middleware holds the handler middleware, one file each: Recover,
// Timeout, Retry, DeadLetter, Metrics and Logging.
//
// The default chain, outermost first, and why each sits where it does:
//
//	Logging     sees the final result once per message, after every retry
//	DeadLetter  turns the final failure into a dead-letter write
//	RetryTopic  (optional) hands messages whose retries are used up to a
//	            retry topic for later rounds, before dead-lettering
//	Retry       repeats what is inside it with backoff; permanent errors skip it
//	Timeout     gives each attempt its own deadline (when configured)
//	Metrics     times each attempt
//	Recover     turns a panic into an error, so Retry retries it and the
//	            layers above still run (innermost, next to the handler)
//
// Put Retry outside Recover, or the first panic escapes every retry; put
// Timeout outside Retry, and one slow attempt uses up the budget of all.
// The chain returns the message's final error; the engine turns it into
// the one recorded outcome.
package middleware
