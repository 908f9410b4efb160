package kafka

import (
	"context"
	"runtime/debug"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// invoke makes one attempt, started at start (a clock reading): it calls
// the subscription's call chain once with msgs, under a deadline of the
// subscription's HandlerTimeout that bounds this attempt only, enforced by
// the partition's deadline enforcer through the call's context (published
// in the worker's slot while it runs). A panic that escaped the chain (in
// a service's middleware) becomes an error like any other. It returns
// when the call returned (a clock reading), and its error.
func (w *worker) invoke(msgs []*message.Message, start int64) (end int64, err error) {
	p := w.p
	c := w.callContext(start, start+int64(p.sub.HandlerTimeout), msgs[0].Offset, msgs[len(msgs)-1].Offset)
	w.slot.Store(c)
	// The drain may have ended before the call was in its slot, out of
	// its reach: then the call starts cancelled. (The drain cancels the
	// handlers' context before it cancels the slots' calls, so one of the
	// two sees the other.)
	if w.handlerCtx.Err() != nil {
		c.cancelAt(context.Canceled, start)
	}
	err = w.call(c, msgs)
	end = p.clock.now()
	w.slot.Store(nil)
	p.callReturned(c.end(end)) // the call is over; contexts derived from it end with it
	p.sub.metrics.duration.Observe(float64(end-start) / 1e9)
	return end, err
}

// callContext returns a context holding a new call: the worker's own when
// it can be reused (see callContext), else a new one, which becomes the
// worker's.
func (w *worker) callContext(start, deadline, first, last int64) *callContext {
	if w.ctx != nil && w.ctx.begin(start, deadline, first, last) {
		return w.ctx
	}
	w.ctx = newCallContext(w.handlerCtx, w.p.clock)
	w.ctx.begin(start, deadline, first, last)
	return w.ctx
}

func (w *worker) call(ctx *callContext, msgs []*message.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.p.sub.metrics.panics.Inc()
			// Recover sits under the service's middleware: a panic
			// that reaches here came from one of them.
			err = &lifecycle.PanicError{What: "middleware", Value: r, Stack: debug.Stack()}
		}
	}()
	if err := ctx.cause(); err != nil {
		return err
	}
	return w.p.sub.call(ctx, msgs)
}
