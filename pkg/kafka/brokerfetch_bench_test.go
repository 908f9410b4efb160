//go:build !brokerfree

package kafka

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// BenchmarkFetcherSessionVsReader compares the engine with a no-op
// handler in partition ordering fetching through the session fetcher
// against the same engine fetching through kafka-go's Reader (see
// kafka.fetcher), and each against a plain kafka-go group Reader loop, on
// the same broker and topic in one run: 12 partitions of BENCH_MESSAGES
// messages (default 300,000) of BENCH_VALUE_BYTES each (default 200).
// Besides the ratios it
// reports each side's CPU time per message (this process's: the broker's
// is not counted). Run it with -benchtime Nx for N interleaved rounds.
func BenchmarkFetcherSessionVsReader(b *testing.B) {
	n := benchMessages(b, 300_000)
	const partitions = 12
	broker := newTestBroker(b)
	topic := broker.createTopic("bench-fetcher", partitions)
	value := strings.Repeat("v", benchEnv(b, "BENCH_VALUE_BYTES", 200))
	broker.produceFast(topic, n, func(i int) (string, string) { return strconv.Itoa(i), value })
	noop := message.HandlerFunc(func(context.Context, *message.Message) error { return nil })
	sub := registry.Subscription{Ordering: registry.OrderingPartition}
	cpu := map[string][]float64{}
	reader := side{"reader", withCPU(engineLoopWith(FetcherReader, sub, noop), n, cpu, "reader")}
	session := side{"session", withCPU(engineLoopWith(FetcherSession, sub, noop), n, cpu, "session")}
	plain := side{"kafkago", withCPU(kafkaGoLoop, n, cpu, "kafkago")}
	b.ResetTimer()
	b.Run("session/reader", func(b *testing.B) { compare(b, broker, topic, n, reader, session) })
	b.Run("session/kafkago", func(b *testing.B) { compare(b, broker, topic, n, plain, session) })
	b.Run("reader/kafkago", func(b *testing.B) { compare(b, broker, topic, n, plain, reader) })
	for name, us := range cpu {
		b.Logf("%s: CPU µs per message (median of %d runs): %.2f", name, len(us), median(us))
	}
}

// benchMessages is BENCH_MESSAGES, or def.
func benchMessages(tb testing.TB, def int) int { return benchEnv(tb, "BENCH_MESSAGES", def) }

// benchEnv is the number the environment variable name holds, or def.
func benchEnv(tb testing.TB, name string, def int) int {
	if s := os.Getenv(name); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			tb.Fatalf("%s=%q: want a number of at least 10", name, s)
		}
		return n
	}
	return def
}

// engineLoopWith is engineLoop with the engine fetching through fetcher.
func engineLoopWith(fetcher string, sub registry.Subscription, handler message.Handler) consumer {
	return func(tb testing.TB, b *testBroker, topic, group string, n int) time.Duration {
		t := os.Getenv("KAFKA_FETCHER")
		if err := os.Setenv("KAFKA_FETCHER", fetcher); err != nil { // testConfig reads it
			tb.Fatal(err)
		}
		defer os.Setenv("KAFKA_FETCHER", t) //nolint:errcheck // restores what Setenv just set
		return engineLoop(sub, handler)(tb, b, topic, group, n)
	}
}

// withCPU records, in into[name], the process's CPU time per message of
// each of run's runs over all n messages (warm-ups are not recorded).
func withCPU(run consumer, n int, into map[string][]float64, name string) consumer {
	return func(tb testing.TB, b *testBroker, topic, group string, count int) time.Duration {
		before := processCPU(tb)
		d := run(tb, b, topic, group, count)
		if count == n {
			into[name] = append(into[name], float64(processCPU(tb)-before)/float64(time.Microsecond)/float64(n))
		}
		return d
	}
}

// produceFast writes n messages whose key and value kv(i) gives, in large
// batches (as a busy producer's would be), and returns when all are
// acknowledged.
func (b *testBroker) produceFast(topic string, n int, kv func(i int) (key, value string)) {
	b.t.Helper()
	tr := b.transport()
	defer tr.CloseIdleConnections()
	w := &kafkago.Writer{Addr: kafkago.TCP(b.addrs...), Topic: topic, Balancer: &kafkago.Hash{},
		RequiredAcks: kafkago.RequireAll, BatchTimeout: 5 * time.Millisecond, BatchSize: 2000, BatchBytes: 900 << 10, // a batch fits the broker's 1 MB message.max.bytes
		Transport: tr}
	defer w.Close()
	const chunk = 20_000
	for i := 0; i < n; i += chunk {
		msgs := make([]kafkago.Message, 0, chunk)
		for j := i; j < min(i+chunk, n); j++ {
			k, v := kv(j)
			msgs = append(msgs, kafkago.Message{Key: []byte(k), Value: []byte(v)})
		}
		if err := w.WriteMessages(context.Background(), msgs...); err != nil {
			b.t.Fatalf("produce to %s: %v", topic, err)
		}
	}
	runtime.GC()
}
