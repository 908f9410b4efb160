package kafka

import (
	"context"
	"fmt"
	"maps"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/message/middleware"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// InMemoryDelivery is what became of one message in RunInMemory.
type InMemoryDelivery struct {
	// Message is the message as the handler last saw it.
	Message message.Message
	// Outcome is the one outcome the engine recorded for it.
	Outcome message.Outcome
	// Attempts is how many handler calls it was part of.
	Attempts int
	// Err is what its last call returned for it: nil when handled.
	Err error
	// Letter is the dead letter (Outcome dead_lettered) or retry-topic
	// letter (rescheduled) the engine wrote for it, else nil.
	Letter *message.Message
}

// RunInMemory runs msgs through the engine's own partition run of sub,
// bound to its handler in handlers, with no broker: the fetch loop, the
// offset window, the workers, the call chain (the registered middleware
// and Recover), attempt deadlines, retries and their backoffs, and the
// one place that decides each message's outcome (delivery.go). msgs are
// served as partition 0 of sub.Topic at offsets 0, 1, …; dead letters and
// retry-topic letters are kept in memory; the retry topic itself is not
// consumed, so a rescheduled message ends there.
//
// It returns one InMemoryDelivery per message, in order, once every
// message has its outcome; or an error when the engine refuses sub, or
// when ctx ends first (the run is then ended, as a revoke would, before
// RunInMemory returns). Under a testing/synctest bubble its backoffs and
// deadlines run on the bubble's clock.
//
// The outcome of each message is the engine's: RunInMemory observes the
// calls (what each returned for each message) and the letters written,
// and checks that what it attributes to each message adds up, outcome by
// outcome, to what the engine counted.
func RunInMemory(ctx context.Context, cfg Config, handlers *registry.Registry, sub registry.Subscription, msgs []message.Message, log *zap.Logger) ([]InMemoryDelivery, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	cfg.Brokers, cfg.Subscriptions = nil, []registry.Subscription{sub}
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	e, err := NewEngine(cfg, NewCluster(cfg, log), handlers, metrics, log)
	if err != nil {
		return nil, err
	}
	s, ok := e.subs[sub.Topic]
	if !ok {
		return nil, fmt.Errorf("run in memory: no subscription of topic %q", sub.Topic)
	}
	mem := &inMemoryRun{want: len(msgs), calls: map[int64]inMemoryCall{}, counted: map[message.Outcome]int{}, allDone: make(chan struct{})}
	e.letters = mem
	reader := &sliceReader{msgs: make([]kafkago.Message, len(msgs))}
	for i, m := range msgs {
		reader.msgs[i] = toKafkaMessage(sub.Topic, int64(i), int64(len(msgs)), m)
	}
	e.openReader = func(string, int) partitionReader { return reader }
	s.call = mem.observe(s.call)
	for o, c := range s.metrics.outcomes {
		s.metrics.outcomes[o] = countedOutcome{Counter: c, outcome: o, run: mem}
	}

	p := newPartitionRun(&generationRun{engine: e, gen: &kafkago.Generation{ID: 1}, log: e.log}, s, 0, 0)
	genCtx, endGeneration := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		p.run(genCtx)
	}()
	select {
	case <-mem.allDone:
	case <-ctx.Done():
		err = fmt.Errorf("run in memory: %d of %d messages have an outcome: %w", mem.outcomes(), len(msgs), context.Cause(ctx))
	}
	endGeneration()
	<-ended
	if err != nil {
		return nil, err
	}
	return mem.deliveries(s)
}

// inMemoryRun observes one RunInMemory: the calls, the letters and the
// outcomes the engine counted.
type inMemoryRun struct {
	want    int
	allDone chan struct{} // closed when want outcomes are counted

	mu      sync.Mutex
	calls   map[int64]inMemoryCall // by offset: the last call of each message
	letters []message.Message
	counted map[message.Outcome]int
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
				r.called(msgs, &middleware.PanicError{Value: v, Stack: debug.Stack()})
				panic(v)
			}
			r.called(msgs, err)
		}()
		return next(ctx, msgs)
	}
}

func (r *inMemoryRun) called(msgs []*message.Message, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, m := range msgs {
		r.calls[m.Offset] = inMemoryCall{msg: *m, err: message.ErrorAt(err, i)}
	}
}

// write stores a letter, as the engine's letter writer would.
func (r *inMemoryRun) write(_ context.Context, letter message.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.letters = append(r.letters, letter)
	return nil
}

func (r *inMemoryRun) count(o message.Outcome) {
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
		header := HeaderOffset
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
	attributed := map[message.Outcome]int{}
	for off := range int64(r.want) {
		c, ok := r.calls[off]
		if !ok {
			return nil, fmt.Errorf("run in memory: the message at offset %d was never passed to the handler", off)
		}
		d := InMemoryDelivery{Message: c.msg, Attempts: c.msg.Attempts, Err: c.err, Letter: letters[off]}
		switch {
		case d.Letter != nil && d.Letter.Topic == s.rescheduleTo:
			d.Outcome = message.OutcomeRescheduled
		case d.Letter != nil:
			d.Outcome = message.OutcomeDeadLettered
		case c.err == nil && d.Attempts <= 1:
			d.Outcome = message.OutcomeSuccess
		case c.err == nil:
			d.Outcome = message.OutcomeRetried
		default:
			d.Outcome = message.OutcomeFailed
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
	outcome message.Outcome
	run     *inMemoryRun
}

func (c countedOutcome) Inc() {
	c.Counter.Inc()
	c.run.count(c.outcome)
}

// sliceReader serves a partition's messages from memory, then waits.
type sliceReader struct {
	mu   sync.Mutex
	msgs []kafkago.Message
	next int
}

func (r *sliceReader) SetOffset(int64) error { return nil }
func (r *sliceReader) Close() error          { return nil }

func (r *sliceReader) FetchMessage(ctx context.Context) (kafkago.Message, error) {
	r.mu.Lock()
	if r.next < len(r.msgs) {
		m := r.msgs[r.next]
		r.next++
		r.mu.Unlock()
		return m, nil
	}
	r.mu.Unlock()
	<-ctx.Done()
	return kafkago.Message{}, ctx.Err()
}

// toKafkaMessage is m as the broker would serve it at offset of topic's
// partition 0, whose high-water mark is end.
func toKafkaMessage(topic string, offset, end int64, m message.Message) kafkago.Message {
	km := kafkago.Message{Topic: topic, Offset: offset, HighWaterMark: end, Key: m.Key, Value: m.Value, Time: m.Time}
	for _, h := range m.Headers {
		km.Headers = append(km.Headers, kafkago.Header{Key: h.Key, Value: h.Value})
	}
	return km
}
