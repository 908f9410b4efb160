package message

import "context"

// Handler processes one message.
//
// Contract: Handle returns nil when the message is done (it will be
// committed) or an error that the framework turns into the message's single
// recorded outcome. Handle must return promptly once ctx is cancelled (on
// handler timeout, revoke or shutdown). Delivery is at-least-once, so Handle
// must be idempotent. Handle must not start goroutines that outlive the call.
type Handler interface {
	Handle(ctx context.Context, msg *Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, msg *Message) error

// Handle calls f(ctx, msg).
func (f HandlerFunc) Handle(ctx context.Context, msg *Message) error { return f(ctx, msg) }

// BatchHandler processes messages of one partition in groups, in offset
// order. The same contract as Handler applies to the whole call. To fail
// only some messages, return a *BatchError; any other error fails them all.
type BatchHandler interface {
	HandleBatch(ctx context.Context, msgs []*Message) error
}

// Middleware wraps a Handler with behaviour common to many handlers.
type Middleware func(Handler) Handler

// Chain applies middleware so that the first listed is the outermost: it
// sees the message first and the outcome last.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// ProfileLabelHandler is the pprof label the engine sets to the handler's
// name on every goroutine working for it. Goroutines a handler starts
// inherit it, so a leaked one is attributed to its handler.
const ProfileLabelHandler = "handler"
