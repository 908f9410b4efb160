//go:build !brokerfree

package kafka

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// fetchers are the values of kafka.fetcher: the fetcher tests run each
// case under both, so that the session fetcher is held to what the
// Reader does.
var fetchers = []string{FetcherReader, FetcherSession}

func forEachFetcher(t *testing.T, run func(t *testing.T, fetcher string)) {
	for _, f := range fetchers {
		t.Run(f, func(t *testing.T) { run(t, f) })
	}
}

// fakeCluster is an in-process cluster of brokers (kfake), closed when
// the test ends, holding topic with partitions partitions.
func fakeCluster(t *testing.T, brokers int, topic string, partitions int32, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(brokers), kfake.SeedTopics(partitions, topic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// fetchRig opens partition readers as an engine of fetcher would, on
// addrs, and keeps what they report.
type fetchRig struct {
	t       *testing.T
	e       *Engine
	mu      sync.Mutex
	reports []string
	closed  map[partitionReader]bool
}

func newFetchRig(t *testing.T, fetcher string, addrs []string, tweak func(*Config)) *fetchRig {
	t.Helper()
	cfg := testConfig(nil)
	cfg.Brokers, cfg.Fetcher = addrs, fetcher
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewCluster(cfg, zap.NewNop()), registry.Empty(), m, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	if err != nil {
		t.Fatal(err)
	}
	return &fetchRig{t: t, e: e}
}

// open opens a reader of topic's partition at offset, closed when the
// test ends.
func (r *fetchRig) open(topic string, partition int, offset int64) partitionReader {
	r.t.Helper()
	rd := r.e.openReader(topic, partition, func(line string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.reports = append(r.reports, line)
	})
	r.t.Cleanup(func() { r.close(rd) })
	if err := rd.SetOffset(offset); err != nil {
		r.t.Fatal(err)
	}
	return rd
}

// close closes rd, once.
func (r *fetchRig) close(rd partitionReader) {
	r.mu.Lock()
	if r.closed == nil {
		r.closed = map[partitionReader]bool{}
	}
	done := r.closed[rd]
	r.closed[rd] = true
	r.mu.Unlock()
	if !done {
		if err := rd.Close(); err != nil {
			r.t.Errorf("close: %v", err)
		}
	}
}

// reported reports whether a line containing s was reported.
func (r *fetchRig) reported(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.reports, func(l string) bool { return strings.Contains(l, s) })
}

func (r *fetchRig) allReports() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reports)
}

// read fetches n messages from rd within the test's patience.
func read(t *testing.T, rd partitionReader, n int) []kafkago.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	var out []kafkago.Message
	for len(out) < n {
		m, err := rd.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// nothingWithin asserts that rd has no message for d.
func nothingWithin(t *testing.T, rd partitionReader, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := rd.FetchMessage(ctx); err == nil {
		t.Fatalf("fetched offset %d (%q), want nothing", m.Offset, m.Value)
	}
}

func offsets(msgs []kafkago.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Offset
	}
	return out
}

// fakeClient is a franz-go client of c, for what kafka-go cannot do
// (delete records, transactions), closed when the test ends.
func fakeClient(t *testing.T, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produceEach writes values, one request (and so one record batch) each,
// to topic's partition.
func produceEach(t *testing.T, cl *kgo.Client, topic string, partition int32, values ...string) {
	t.Helper()
	for _, v := range values {
		r := &kgo.Record{Topic: topic, Partition: partition, Key: []byte("k"), Value: []byte(v)}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// deleteRecords deletes topic's partition before offset, as retention
// does.
func deleteRecords(t *testing.T, cl *kgo.Client, topic string, partition int32, offset int64) {
	t.Helper()
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 5000
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = partition, offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	res, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if code := res.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Fatalf("delete records: %v", kafkago.Error(code))
	}
}

// goroutinesRunning counts the goroutines whose stack holds fn.
func goroutinesRunning(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), fn+"(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// values lists v0 … v(n-1), from first.
func values(first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("v%d", first+i)
	}
	return out
}
