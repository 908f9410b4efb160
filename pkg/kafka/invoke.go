package kafka

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// invoke makes one attempt: it calls the subscription's call chain once
// with msgs, under a deadline of the subscription's HandlerTimeout that
// bounds this attempt only, enforced by the partition's deadline enforcer
// through the call's context (published in the worker's slot while it
// runs). A panic that escaped the chain (in a service's middleware)
// becomes an error like any other. It returns when the call returned, and its error.
func (w *worker) invoke(msgs []*message.Message) (end time.Time, err error) {
	p := w.p
	start := time.Now()
	c := newCallContext(w.handlerCtx, start, start.Add(p.sub.HandlerTimeout))
	c.first, c.last = msgs[0].Offset, msgs[len(msgs)-1].Offset
	w.slot.Store(c)
	err = w.call(c, msgs)
	end = time.Now()
	w.slot.Store(nil)
	p.callReturned(c)
	c.cancelAt(context.Canceled, end) // the call is over; contexts derived from it end with it
	p.sub.metrics.duration.Observe(end.Sub(start).Seconds())
	return end, err
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
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return w.p.sub.call(ctx, msgs)
}
