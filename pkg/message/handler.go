package message

import "context"

// Handler processes one message.
//
// Contract: Handle returns nil when the message is done (it will be
// committed) or an error that the framework turns into the message's single
// recorded outcome. Each call is one attempt with its own deadline
// (handler_timeout); a failed attempt may be followed by another call for
// the same message. Handle must return promptly once ctx is done (deadline,
// revoke or shutdown). Delivery is at-least-once, so Handle must be
// idempotent. Handle must not start goroutines that outlive the call.
//
// msg and ctx are valid until Handle returns, and no longer: the engine
// reuses the Message for a later record (see Message for what to copy to
// keep), and a context that was not looked at (neither Done, Err nor
// AfterFunc called on it, nor a context derived from it) for its worker's
// next call. A context that was looked at ends when the call returns and
// is never reused, so a context derived from it ends with the call.
type Handler interface {
	Handle(ctx context.Context, msg *Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, msg *Message) error

// Handle calls f(ctx, msg).
func (f HandlerFunc) Handle(ctx context.Context, msg *Message) error { return f(ctx, msg) }

// BatchHandler processes messages of one partition in groups, in offset
// order. The contract of Handler applies to the whole call, to msgs and
// to each of its messages. To fail only
// some messages, return a *BatchError; any other error fails them all.
// Messages that failed are retried (in a smaller batch) or dead-lettered
// one by one; messages that succeeded are never passed again.
type BatchHandler interface {
	HandleBatch(ctx context.Context, msgs []*Message) error
}

// BatchHandlerFunc adapts a function to BatchHandler.
type BatchHandlerFunc func(ctx context.Context, msgs []*Message) error

// HandleBatch calls f(ctx, msgs).
func (f BatchHandlerFunc) HandleBatch(ctx context.Context, msgs []*Message) error {
	return f(ctx, msgs)
}

// Call is one call of a handler, of either kind: for a Handler, msgs holds
// exactly one message; for a BatchHandler, a batch of one partition in
// offset order. It returns nil when every message is done, a *BatchError
// to fail some of them, or any other error to fail them all.
type Call func(ctx context.Context, msgs []*Message) error

// Middleware wraps every call of a handler, per-message and batch alike:
// tracing, metrics, log fields, rate limits. The framework calls the chain
// once per attempt, so a middleware sees each retry as a new call, under
// that attempt's deadline.
//
// Contract: a middleware passes next the messages it was given (it may
// wrap ctx), and returns what next returned, or an error of its own. It
// must not retry, dead-letter or swallow errors: what becomes of each
// message is decided in one place, by the framework, from the returned
// error.
type Middleware func(next Call) Call

// Chain applies middleware so that the first listed is the outermost: it
// sees the call first and the result last.
func Chain(c Call, mws ...Middleware) Call {
	for i := len(mws) - 1; i >= 0; i-- {
		c = mws[i](c)
	}
	return c
}
