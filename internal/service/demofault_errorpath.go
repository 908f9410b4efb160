package service

import (
	"context"
	"errors"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// errorPathHandler is F3 around the handler: each message gets a request
// object, released only on the success path, the way the production
// request was freed only when its closure ran. A message that fails (a
// malformed order takes the handler's early return) leaves its request
// behind for good.
//
// What the framework shows: every such message still ends in exactly one
// outcome (dead_lettered), and each abandoned request keeps the goroutine
// that waits for its release. That goroutine is started from the
// handler's call, so it carries the handler's profile labels:
// kafka_consumer_goroutines{handler="orders-enricher"} grows by one per
// dead-lettered order, until the leak detector flags it.
type errorPathHandler struct {
	next     message.BatchHandler
	requests *requests
}

// HandleBatch implements message.BatchHandler.
func (h errorPathHandler) HandleBatch(ctx context.Context, msgs []*message.Message) error {
	open := make([]*request, len(msgs))
	for i := range msgs {
		open[i] = h.requests.open()
	}
	err := h.next.HandleBatch(ctx, msgs)
	for i, req := range open {
		if failedAt(err, i) == nil {
			req.release() // the success path; an error path returns without it
		}
	}
	return err
}

// failedAt is the error of the message at index i of a batch call that
// returned err, nil when it succeeded.
func failedAt(err error, i int) error {
	var be *message.BatchError
	if errors.As(err, &be) {
		return be.Failed[i]
	}
	return err
}

// requests opens request objects in the fault's lifecycle group, so
// stopping the fault ends every request still open.
type requests struct {
	group *lifecycle.Group
}

// request is an open request: a goroutine that lives until release (or
// until the fault stops).
type request struct {
	released chan struct{}
}

// open opens a request, or returns nil once the fault has stopped.
func (r *requests) open() *request {
	req := &request{released: make(chan struct{})}
	err := r.group.Go("request", func(ctx context.Context) error {
		select {
		case <-req.released:
		case <-ctx.Done():
		}
		return nil
	})
	if err != nil {
		return nil // lifecycle.ErrStopping, its only error: the fault is undone
	}
	return req
}

// release ends the request; a nil request (opened after the fault
// stopped) has nothing to release.
func (q *request) release() {
	if q != nil {
		close(q.released)
	}
}
