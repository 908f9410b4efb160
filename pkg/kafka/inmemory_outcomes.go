package kafka

import (
	"context"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// inMemoryRun observes one RunInMemory: the calls, the letters and the
// outcomes the engine counted.
type inMemoryRun struct {
	want    int
	allDone chan struct{} // closed when want outcomes are counted

	mu      sync.Mutex
	calls   map[int64]inMemoryCall // by offset: the last call of each message
	letters []message.Message
	counted map[delivery.Outcome]int
	total   int
}

// inMemoryCall is a message's last call: the message as passed, and what
// the call returned for it.
type inMemoryCall struct {
	msg message.Message
	err error
}

// observe wraps the whole call chain, so it sees what the engine sees:
// the error each call returned, after every middleware. A panic that
// escapes the chain is recorded as the engine records it and passed on,
// for the engine to recover.
func (r *inMemoryRun) observe(next message.Call) message.Call {
	return func(ctx context.Context, msgs []*message.Message) (err error) {
		defer func() {
			if v := recover(); v != nil {
				r.called(msgs, &lifecycle.PanicError{Value: v, Stack: debug.Stack()})
				panic(v)
			}
			r.called(msgs, err)
		}()
		return next(ctx, msgs)
	}
}

// called records a call's messages as the handler saw them: copies, with
// headers of their own, since the engine reuses a Message, and the array
// of its Headers, once its call returned.
func (r *inMemoryRun) called(msgs []*message.Message, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, m := range msgs {
		msg := *m
		msg.Headers = slices.Clone(m.Headers)
		r.calls[m.Offset] = inMemoryCall{msg: msg, err: delivery.ErrorAt(err, i)}
	}
}

// write stores a letter, as the engine's letter writer would.
func (r *inMemoryRun) write(_ context.Context, letter message.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.letters = append(r.letters, letter)
	return nil
}

func (r *inMemoryRun) count(o delivery.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counted[o]++
	r.total++
	if r.total == r.want {
		close(r.allDone)
	}
}

func (r *inMemoryRun) outcomes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// deliveries attributes the counted outcomes to the messages: a message
// with a letter on the dead-letter topic was dead-lettered, one with a
// letter on the retry topic rescheduled; of the others, one whose last
// call succeeded was handled (retried when that call was not its first),
// one whose last call failed failed. The attribution must add up to the
// engine's counts, or this reports the disagreement.
func (r *inMemoryRun) deliveries(s *subscription) ([]InMemoryDelivery, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	letters := map[int64]*message.Message{}
	for i := range r.letters {
		l := &r.letters[i]
		header := dlq.HeaderOffset
		if l.Topic == s.rescheduleTo {
			header = HeaderRetryOffset
		}
		v, _ := l.Header(header)
		off, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("run in memory: letter to %s: %s header %q: %w", l.Topic, header, v, err)
		}
		letters[off] = l
	}
	out := make([]InMemoryDelivery, r.want)
	attributed := map[delivery.Outcome]int{}
	for off := range int64(r.want) {
		c, ok := r.calls[off]
		if !ok {
			return nil, fmt.Errorf("run in memory: the message at offset %d was never passed to the handler", off)
		}
		d := InMemoryDelivery{Message: c.msg, Attempts: c.msg.Attempts, Err: c.err, Letter: letters[off]}
		switch {
		case d.Letter != nil && d.Letter.Topic == s.rescheduleTo:
			d.Outcome = delivery.OutcomeRescheduled
		case d.Letter != nil:
			d.Outcome = delivery.OutcomeDeadLettered
		case c.err == nil && d.Attempts <= 1:
			d.Outcome = delivery.OutcomeSuccess
		case c.err == nil:
			d.Outcome = delivery.OutcomeRetried
		default:
			d.Outcome = delivery.OutcomeFailed
		}
		attributed[d.Outcome]++
		out[off] = d
	}
	if !maps.Equal(attributed, r.counted) {
		return nil, fmt.Errorf("run in memory: the outcomes attributed to the messages %v disagree with the engine's counts %v", attributed, r.counted)
	}
	return out, nil
}

// countedOutcome is an outcome counter that also tells the run.
type countedOutcome struct {
	prometheus.Counter
	outcome delivery.Outcome
	run     *inMemoryRun
}

func (c countedOutcome) Inc() {
	c.Counter.Inc()
	c.run.count(c.outcome)
}
