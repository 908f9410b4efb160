package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/internal/message"
)

// BenchmarkDispatchAndTrackPerMessage measures the engine's own work per
// message between fetch and commit bookkeeping — offset window, lane,
// delivery with the call chain (Recover) and its deadline, outcome —
// without a broker. Its allocs/op is the per-message allocation cost of
// the framework.
func BenchmarkDispatchAndTrackPerMessage(b *testing.B) {
	noop := message.NewRegistry().Add("noop", message.HandlerFunc(func(context.Context, *message.Message) error { return nil }))
	r := newRig(b, testConfig(nil), Subscription{Topic: "bench", Handler: "noop", Ordering: OrderingPartition}, noop)
	l := newLanes(r.p.sub, r.e.cfg.MaxInflight)
	msg := &message.Message{Topic: "bench", Key: []byte("k"), Value: make([]byte, 100)}
	one := make([]*message.Message, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		msg.Offset, msg.Attempts = int64(i), 0
		if !r.p.window.tryAdmit(msg.Offset, msg.Size(), time.Now().UnixNano()) {
			b.Fatal("window full")
		}
		l.route(msg) <- msg
		one[0] = <-l.inbox(0)
		r.w.deliver(one)
	}
	b.StopTimer()
	if r.outcome(message.OutcomeSuccess) != b.N {
		b.Fatalf("%d successes for %d messages", r.outcome(message.OutcomeSuccess), b.N)
	}
}

// consumeAll counts messages until n arrived and returns the elapsed time.
type consumer func(tb testing.TB, b *testBroker, topic, group string, n int) time.Duration

func kafkaGoLoop(tb testing.TB, b *testBroker, topic, group string, n int) time.Duration {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: b.addrs, GroupID: group, Topic: topic,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: time.Second,
		CommitInterval: time.Second, StartOffset: kafkago.FirstOffset,
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 10 * time.Second,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	start := time.Now()
	for i := 0; i < n; i++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			tb.Fatalf("kafka-go fetch: %v", err)
		}
		if err := r.CommitMessages(ctx, m); err != nil { // batched: CommitInterval > 0
			tb.Fatalf("kafka-go commit: %v", err)
		}
	}
	return time.Since(start)
}

func engineLoop(sub Subscription, handler message.Handler) consumer {
	return func(tb testing.TB, b *testBroker, topic, group string, n int) time.Duration {
		var done atomic.Int64
		h := message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			err := handler.Handle(ctx, m)
			done.Add(1)
			return err
		})
		sub.Topic, sub.Handler = topic, "bench"
		cfg := testConfig([]Subscription{sub})
		cfg.GroupID = group
		start := time.Now()
		e := b.startEngine(cfg, message.NewRegistry().Add("bench", h))
		waitFor(tb, "all messages", func() bool { return done.Load() >= int64(n) })
		elapsed := time.Since(start)
		e.stop(tb)
		return elapsed
	}
}

// compare runs each consumer over the same topic with fresh groups, b.N
// times, and reports messages per second of each and their ratio.
func compare(b *testing.B, topic string, n int, baseName string, base consumer, name string, c consumer, broker *testBroker) {
	var baseTotal, cTotal time.Duration
	for i := range b.N {
		baseTotal += base(b, broker, topic, fmt.Sprintf("bench-%s-%d-%d", baseName, time.Now().UnixNano(), i), n)
		cTotal += c(b, broker, topic, fmt.Sprintf("bench-%s-%d-%d", name, time.Now().UnixNano(), i), n)
	}
	baseRate := float64(n*b.N) / baseTotal.Seconds()
	rate := float64(n*b.N) / cTotal.Seconds()
	b.ReportMetric(baseRate, baseName+"-msgs/s")
	b.ReportMetric(rate, name+"-msgs/s")
	b.ReportMetric(rate/baseRate, name+"/"+baseName)
	b.ReportMetric(0, "ns/op") // the ratio is the result; wall time per op is not
}

// BenchmarkNoopThroughputVsKafkaGo compares the engine with a no-op
// handler to a plain kafka-go loop (group Reader, FetchMessage, commits
// every second) on the same broker and topic in the same run.
func BenchmarkNoopThroughputVsKafkaGo(b *testing.B) {
	const n, partitions = 200_000, 4
	broker := newTestBroker(b)
	topic := broker.createTopic("bench-noop", partitions)
	broker.produceValues(topic, n, func(i int) (string, string) { return strconv.Itoa(i), strconv.Itoa(i) })
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	b.ResetTimer()
	compare(b, topic, n, "kafkago", kafkaGoLoop, "engine", engineLoop(Subscription{Ordering: OrderingPartition}, noop), broker)
}

// BenchmarkKeyOrderingVsPartitionOrdering: a 2ms handler on one partition,
// 500 keys: key ordering with 64 workers against partition ordering.
func BenchmarkKeyOrderingVsPartitionOrdering(b *testing.B) {
	const n = 2000
	broker := newTestBroker(b)
	topic := broker.createTopic("bench-key", 1)
	broker.produceValues(topic, n, func(i int) (string, string) { return "k" + strconv.Itoa(i%500), strconv.Itoa(i) })
	slow := message.HandlerFunc(func(context.Context, *message.Message) error { time.Sleep(2 * time.Millisecond); return nil })
	b.ResetTimer()
	compare(b, topic, n, "partition", engineLoop(Subscription{Ordering: OrderingPartition}, slow),
		"key64", engineLoop(Subscription{Ordering: OrderingKey, Workers: 64}, slow), broker)
}
