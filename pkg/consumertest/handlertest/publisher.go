package handlertest

import (
	"context"
	"sync"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// Publisher stands in for the service's publisher (the Publish method of
// the engine's kafka.Publisher): it records every message of every
// successful Publish, in order, and fails a call when Fail says so. Safe
// for concurrent use; the zero value records everything.
type Publisher struct {
	// Fail, when set, decides the error of the n-th call (from 1) before
	// anything is recorded; nil records the call. Set it before the first
	// Publish.
	Fail func(n int, msgs []message.Message) error

	mu    sync.Mutex
	calls int
	got   []message.Message
}

// Publish records msgs, or returns Fail's error for this call.
func (p *Publisher) Publish(_ context.Context, msgs ...message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.Fail != nil {
		if err := p.Fail(p.calls, msgs); err != nil {
			return err
		}
	}
	p.got = append(p.got, msgs...)
	return nil
}

// Published returns a copy of everything recorded so far.
func (p *Publisher) Published() []message.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]message.Message(nil), p.got...)
}
