// Package middleware holds the middleware the framework puts around every
// handler call, and is where a service's own middleware can take its
// pattern from.
//
// A middleware wraps one call (one attempt) of a handler of either kind;
// see message.Middleware for its contract. The engine builds each
// subscription's call chain, outermost first:
//
//	the service's middleware   Registry.Use, then the handler's own
//	Recover                    turns a panic into a *lifecycle.PanicError,
//	                           so the layers above see it as an error and
//	                           the engine retries it like any other failure
//	the handler
//
// A panic in the service's middleware, above Recover, is caught by the
// engine too: it becomes a *lifecycle.PanicError whose What is
// "middleware", counted and retried the same way. A middleware must keep
// message.Middleware's contract — pass next the messages it was given,
// return what next returned or an error of its own, never retry, skip or
// swallow — because the engine reads each message's fate from the error
// the chain returns.
//
// What becomes of each message after a call — another attempt after a
// backoff, the retry topic, the dead-letter topic — is not middleware: the
// engine decides it in one place, message by message, for both handler
// kinds, outside the attempt's deadline (see package kafka).
package middleware
