package kafka

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// memoryReader serves offsets [next, end) of one partition from memory, the
// way kafka-go's FetchMessage hands them over (a Message by value), then
// blocks until its context ends, as a caught-up reader does.
type memoryReader struct {
	topic      string
	next, end  int64
	key, value []byte
	at         time.Time
}

func (r *memoryReader) SetOffset(offset int64) error { r.next = offset; return nil }
func (r *memoryReader) Close() error                 { return nil }

func (r *memoryReader) FetchMessage(ctx context.Context) (kafkago.Message, error) {
	if r.next >= r.end {
		<-ctx.Done()
		return kafkago.Message{}, ctx.Err()
	}
	offset := r.next
	r.next++
	return kafkago.Message{Topic: r.topic, Offset: offset, HighWaterMark: r.end,
		Key: r.key, Value: r.value, Time: r.at}, nil
}

// BenchmarkFetchToCommittablePerMessage measures the engine's whole
// per-message path without a broker, as partitionRun.run drives it: the
// fetched record converted to a Message, admitted to the offset window,
// routed to its lane, handed to a worker goroutine, delivered through the
// call chain the engine builds (the service's middleware and Recover)
// under its deadline, its outcome recorded and the commit point advanced.
// Only the broker is missing (the reader serves records from memory) and
// the periodic commit, which costs per interval, not per message. allocs/op
// is the framework's allocation cost per message.
func BenchmarkFetchToCommittablePerMessage(b *testing.B) {
	for _, ordering := range []struct {
		name string
		sub  registry.Subscription
	}{
		{"partition", registry.Subscription{Ordering: registry.OrderingPartition}},
		{"key-8-workers", registry.Subscription{Ordering: registry.OrderingKey, Workers: 8}},
	} {
		b.Run(ordering.name, func(b *testing.B) {
			keys := make([][]byte, 64)
			for i := range keys {
				keys[i] = []byte{byte('a' + i%26), byte('0' + i/26)}
			}
			reader := &keyedMemoryReader{memoryReader: memoryReader{topic: "bench", end: int64(b.N), value: make([]byte, 100), at: time.Now()}, keys: keys}
			run := newPipelineBench(b, ordering.sub, reader, int64(b.N))
			b.ReportAllocs()
			b.ResetTimer()
			run()
		})
	}
}

// newPipelineBench builds a partition run of sub (its topic and handler
// filled in) whose handler only counts, reading n records from reader, and
// returns what runs it: started, waited for until the n-th record's outcome
// is recorded and the commit point is past it (the timer stopped there),
// then ended and checked.
func newPipelineBench(b *testing.B, sub registry.Subscription, reader partitionReader, n int64) (run func()) {
	// The handler only counts, so that the benchmark can wait for the
	// last message without polling through the run.
	var handled atomic.Int64
	last := make(chan struct{})
	noop := registry.Empty().Add("noop", message.HandlerFunc(func(context.Context, *message.Message) error {
		if handled.Add(1) == n {
			close(last)
		}
		return nil
	}))
	sub.Topic, sub.Handler = "bench", "noop"
	cfg := testConfig([]registry.Subscription{sub})
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	e, err := NewEngine(cfg, NewCluster(cfg, zap.NewNop()), noop, m, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	e.openReader = func(string, int, func(string)) partitionReader { return reader }
	g := &generationRun{engine: e, gen: &kafkago.Generation{ID: 1}, log: e.log}
	p := newPartitionRun(g, e.subs["bench"], 0, 0)
	return func() {
		genCtx, endGeneration := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { defer close(ran); p.run(genCtx) }()
		<-last
		for next, _ := p.window.committable(); next != n; next, _ = p.window.committable() {
			runtime.Gosched() // the last outcome is being recorded
		}
		b.StopTimer()
		endGeneration()
		<-ran
		if got := int64(testutil.ToFloat64(m.messages.WithLabelValues("bench", "noop", string(delivery.OutcomeSuccess)))); got != n {
			b.Fatalf("%d successes for %d messages", got, n)
		}
	}
}

// BenchmarkFetchToCommittableBareLoop is the peer of
// BenchmarkFetchToCommittablePerMessage: the least a hand-written consumer
// does on the same reader — fetch, hand the record to a worker goroutine
// over a channel, call the handler, advance a committed offset — with no
// window, deadline, recovery or outcome accounting. The ratio of the two is
// what the engine's guarantees cost per message.
func BenchmarkFetchToCommittableBareLoop(b *testing.B) {
	var handled atomic.Int64
	handler := func(context.Context, kafkago.Message) error { handled.Add(1); return nil }
	r := &memoryReader{topic: "bench", end: int64(b.N), key: []byte("k"), value: make([]byte, 100), at: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inbox := make(chan kafkago.Message, 100)
	var committed atomic.Int64
	finished := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		defer close(finished)
		for m := range inbox {
			if err := handler(ctx, m); err != nil {
				b.Error(err)
			}
			committed.Store(m.Offset + 1)
		}
	}()
	for range b.N {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		inbox <- m
	}
	close(inbox)
	<-finished
	b.StopTimer()
	if committed.Load() != int64(b.N) || handled.Load() != int64(b.N) {
		b.Fatalf("committed %d, handled %d of %d", committed.Load(), handled.Load(), b.N)
	}
}

// keyedMemoryReader is a memoryReader whose records cycle through keys, so
// key ordering spreads them over its workers.
type keyedMemoryReader struct {
	memoryReader
	keys [][]byte
}

func (r *keyedMemoryReader) FetchMessage(ctx context.Context) (kafkago.Message, error) {
	r.key = r.keys[r.next%int64(len(r.keys))]
	return r.memoryReader.FetchMessage(ctx)
}
