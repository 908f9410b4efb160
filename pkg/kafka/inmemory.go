package kafka

import (
	"context"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// InMemoryDelivery is what became of one message in RunInMemory.
type InMemoryDelivery struct {
	// Message is the message as the handler last saw it.
	Message message.Message
	// Outcome is the one outcome the engine recorded for it.
	Outcome delivery.Outcome
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
	mem := &inMemoryRun{want: len(msgs), calls: map[int64]inMemoryCall{}, counted: map[delivery.Outcome]int{}, allDone: make(chan struct{})}
	e.letters = mem
	reader := &sliceReader{msgs: make([]kafkago.Message, len(msgs))}
	for i, m := range msgs {
		reader.msgs[i] = toKafkaMessage(sub.Topic, int64(i), int64(len(msgs)), m)
	}
	e.openReader = func(string, int, func(string)) partitionReader { return reader }
	s.call = mem.observe(s.call)
	for _, o := range delivery.Outcomes() {
		i := outcomeIndex(o)
		s.metrics.outcomes[i] = countedOutcome{Counter: s.metrics.outcomes[i], outcome: o, run: mem}
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
