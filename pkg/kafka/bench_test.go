//go:build !brokerfree

package kafka

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// benchCommitInterval is the commit interval of both sides of a throughput
// comparison: committing more often costs more, so the two must match.
const benchCommitInterval = time.Second

// consumer consumes n messages of topic as group and returns how long it
// took from the first message handled to the n-th: group join and start-up
// are outside the measure for every side alike.
type consumer func(tb testing.TB, b *testBroker, topic, group string, n int) time.Duration

// stopwatch times a consumer from its first message to its n-th. mark is
// called once per message, by any goroutine.
type stopwatch struct {
	n           int64
	count       atomic.Int64
	first, last atomic.Int64 // UnixNano
	done        chan struct{}
}

func newStopwatch(n int) *stopwatch { return &stopwatch{n: int64(n), done: make(chan struct{})} }

func (s *stopwatch) mark() {
	switch s.count.Add(1) {
	case 1:
		s.first.Store(time.Now().UnixNano())
		if s.n == 1 {
			s.last.Store(s.first.Load())
			close(s.done)
		}
	case s.n:
		s.last.Store(time.Now().UnixNano())
		close(s.done)
	}
}

func (s *stopwatch) elapsed() time.Duration { return time.Duration(s.last.Load() - s.first.Load()) }

func kafkaGoLoop(tb testing.TB, b *testBroker, topic, group string, n int) time.Duration {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: b.addrs, Dialer: b.conn.Dialer(), GroupID: group, Topic: topic,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: time.Second,
		CommitInterval: benchCommitInterval, StartOffset: kafkago.FirstOffset,
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 10 * time.Second,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	sw := newStopwatch(n)
	for range n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			tb.Fatalf("kafka-go fetch: %v", err)
		}
		sw.mark()
		if err := r.CommitMessages(ctx, m); err != nil { // batched: CommitInterval > 0
			tb.Fatalf("kafka-go commit: %v", err)
		}
	}
	return sw.elapsed()
}

func engineLoop(sub registry.Subscription, handler message.Handler) consumer {
	return func(tb testing.TB, b *testBroker, topic, group string, n int) time.Duration {
		sw := newStopwatch(n)
		h := message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			err := handler.Handle(ctx, m)
			sw.mark()
			return err
		})
		sub.Topic, sub.Handler = topic, "bench"
		cfg := testConfig([]registry.Subscription{sub})
		cfg.GroupID = group
		cfg.CommitInterval = benchCommitInterval
		e := b.startEngine(cfg, registry.Empty().Add("bench", h))
		select {
		case <-sw.done:
		case <-time.After(consumertest.Patience):
			tb.Fatalf("engine handled %d of %d messages", sw.count.Load(), n)
		}
		e.stop(tb)
		return sw.elapsed()
	}
}

// side is one contestant of a comparison.
type side struct {
	name string
	run  consumer
}

// compare measures base and other over the same topic, each with a fresh
// group, b.N rounds after an unmeasured warm-up of each over the first
// tenth of the messages (the broker's caches, the runtime's), alternating
// which goes first so that neither always meets a warmer broker. It
// reports each side's median rate and the median, lowest and highest of
// the per-round ratios other/base.
func compare(b *testing.B, broker *testBroker, topic string, n int, base, other side) {
	group := func(s side, round int) string {
		return fmt.Sprintf("bench-%s-%d-%d", s.name, time.Now().UnixNano(), round)
	}
	base.run(b, broker, topic, group(base, -1), n/10)
	other.run(b, broker, topic, group(other, -1), n/10)
	var baseRates, rates, ratios []float64
	for round := range b.N {
		order := []side{base, other}
		if round%2 == 1 {
			order = []side{other, base}
		}
		took := map[string]time.Duration{}
		for _, s := range order {
			took[s.name] = s.run(b, broker, topic, group(s, round), n)
		}
		baseRate := float64(n-1) / took[base.name].Seconds()
		rate := float64(n-1) / took[other.name].Seconds()
		baseRates, rates, ratios = append(baseRates, baseRate), append(rates, rate), append(ratios, rate/baseRate)
	}
	b.ReportMetric(median(baseRates), base.name+"-msgs/s")
	b.ReportMetric(median(rates), other.name+"-msgs/s")
	b.ReportMetric(median(ratios), other.name+"/"+base.name+"-median")
	b.ReportMetric(slices.Min(ratios), other.name+"/"+base.name+"-min")
	b.ReportMetric(slices.Max(ratios), other.name+"/"+base.name+"-max")
	b.ReportMetric(0, "ns/op") // the ratios are the result; wall time per op is not
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkNoopThroughputVsKafkaGo compares the engine with a no-op
// handler to a plain kafka-go loop (group Reader, FetchMessage, commits
// every benchCommitInterval, as the engine's) on the same broker and topic
// in the same run. Run it with -benchtime Nx for N interleaved rounds.
func BenchmarkNoopThroughputVsKafkaGo(b *testing.B) {
	const n, partitions = 200_000, 4
	broker := newTestBroker(b)
	topic := broker.createTopic("bench-noop", partitions)
	broker.produceValues(topic, n, func(i int) (string, string) { return strconv.Itoa(i), strconv.Itoa(i) })
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	b.ResetTimer()
	compare(b, broker, topic, n,
		side{"kafkago", kafkaGoLoop},
		side{"engine", engineLoop(registry.Subscription{Ordering: registry.OrderingPartition}, noop)})
}

// BenchmarkKeyOrderingVsPartitionOrdering: a 2ms handler on one partition,
// 500 keys: key ordering with 64 workers against partition ordering. With
// 10,000 messages the key-ordered run lasts about half a second, long
// enough that scheduling noise does not decide the ratio.
func BenchmarkKeyOrderingVsPartitionOrdering(b *testing.B) {
	const n = 10_000
	broker := newTestBroker(b)
	topic := broker.createTopic("bench-key", 1)
	broker.produceValues(topic, n, func(i int) (string, string) { return "k" + strconv.Itoa(i%500), strconv.Itoa(i) })
	slow := message.HandlerFunc(func(context.Context, *message.Message) error { time.Sleep(2 * time.Millisecond); return nil })
	b.ResetTimer()
	compare(b, broker, topic, n,
		side{"partition", engineLoop(registry.Subscription{Ordering: registry.OrderingPartition}, slow)},
		side{"key64", engineLoop(registry.Subscription{Ordering: registry.OrderingKey, Workers: 64}, slow)})
}
