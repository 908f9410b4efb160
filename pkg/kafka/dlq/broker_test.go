//go:build !brokerfree

package dlq

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
)

var topicSeq atomic.Int64

// testBroker is the cluster the replay tests run against: the real one
// named by KAFKA_BROKERS, or an embedded broker private to the test. A real
// broker that cannot be reached fails the test; nothing is skipped.
type testBroker struct {
	t     testing.TB
	addrs []string
}

func newTestBroker(t testing.TB) *testBroker {
	t.Helper()
	var brokers []string
	if env := os.Getenv("KAFKA_BROKERS"); env != "" {
		brokers = strings.Split(env, ",")
	}
	c := embedded.NewCluster(brokers, embedded.Config{Partitions: 1}, 5*time.Second, zap.NewNop())
	if err := c.Start(context.Background()); err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("stop broker: %v", err)
		}
	})
	b := &testBroker{t: t, addrs: c.Addrs()}
	conn, err := net.DialTimeout("tcp", b.addrs[0], 10*time.Second)
	if err != nil {
		t.Fatalf("broker %v unreachable (set KAFKA_BROKERS to a running cluster, or unset it for the embedded one): %v", b.addrs, err)
	}
	_ = conn.Close()
	return b
}

// cluster is where Replay finds this broker.
func (b *testBroker) cluster() Cluster {
	return Cluster{Brokers: b.addrs, ClientID: "dlq-test", AutoCreateTopics: true, CloseTimeout: 5 * time.Second}
}

// client runs f with an admin client of its own, closed afterwards.
func (b *testBroker) client(f func(*kafkago.Client)) {
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	f(&kafkago.Client{Addr: kafkago.TCP(b.addrs...), Timeout: 30 * time.Second, Transport: tr})
}

// createTopic makes a topic with a name unique to this run and waits until
// every partition has a leader.
func (b *testBroker) createTopic(name string, partitions int) string {
	b.t.Helper()
	topic := fmt.Sprintf("%s-%d-%d-%d", name, os.Getpid(), time.Now().UnixNano(), topicSeq.Add(1))
	b.client(func(c *kafkago.Client) {
		res, err := c.CreateTopics(context.Background(), &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}}})
		if err == nil {
			err = res.Errors[topic]
		}
		if err != nil {
			b.t.Fatalf("create topic %s: %v", topic, err)
		}
		consumertest.Eventually(b.t, fmt.Sprintf("topic %s to show %d partitions", topic, partitions), func() bool {
			md, err := c.Metadata(context.Background(), &kafkago.MetadataRequest{Topics: []string{topic}})
			return err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) == partitions
		})
	})
	return topic
}

// produce writes msgs, each to its own Topic and Partition, and returns
// once all are acknowledged.
func (b *testBroker) produce(msgs ...kafkago.Message) {
	b.t.Helper()
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafkago.Writer{Addr: kafkago.TCP(b.addrs...), Balancer: partitionOf{}, RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond, Transport: tr}
	defer w.Close()
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		b.t.Fatalf("produce: %v", err)
	}
}

// partitionOf sends each message to the partition it names.
type partitionOf struct{}

func (partitionOf) Balance(m kafkago.Message, _ ...int) int { return m.Partition }

// end returns the end offset of each of topic's partitions.
func (b *testBroker) end(topic string, partitions int) map[int]int64 {
	b.t.Helper()
	reqs := make([]kafkago.OffsetRequest, partitions)
	for p := range partitions {
		reqs[p] = kafkago.LastOffsetOf(p)
	}
	out := map[int]int64{}
	b.client(func(c *kafkago.Client) {
		res, err := c.ListOffsets(context.Background(), &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
		if err != nil {
			b.t.Fatalf("list offsets of %s: %v", topic, err)
		}
		for _, p := range res.Topics[topic] {
			out[p.Partition] = p.LastOffset
		}
	})
	return out
}

// readAll reads every message of topic's partitions, to their end.
func (b *testBroker) readAll(topic string, partitions int) []kafkago.Message {
	b.t.Helper()
	var out []kafkago.Message
	for p, end := range b.end(topic, partitions) {
		if end == 0 {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: b.addrs, Topic: topic, Partition: p, MaxWait: time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				b.t.Fatalf("read %s/%d: %v", topic, p, err)
			}
			out = append(out, m)
			if m.Offset >= end-1 {
				break
			}
		}
		cancel()
		_ = r.Close()
	}
	return out
}

// letter is a dead letter as the engine writes it, of a message first
// consumed from origin at offset, that failed with reason; extra headers
// come first, as the message's own.
func letter(dlqTopic string, partition int, origin string, offset int, reason string, extra ...kafkago.Header) kafkago.Message {
	return kafkago.Message{Topic: dlqTopic, Partition: partition, Key: fmt.Appendf(nil, "k%d", offset), Value: fmt.Appendf(nil, "v%d", offset),
		Headers: append(extra,
			kafkago.Header{Key: HeaderTopic, Value: []byte(origin)},
			kafkago.Header{Key: HeaderPartition, Value: []byte("0")},
			kafkago.Header{Key: HeaderOffset, Value: fmt.Appendf(nil, "%d", offset)},
			kafkago.Header{Key: HeaderError, Value: []byte(reason)},
			kafkago.Header{Key: HeaderAttempts, Value: []byte("3")},
			kafkago.Header{Key: HeaderFirstFailure, Value: []byte("2026-01-02T03:04:05Z")},
			kafkago.Header{Key: HeaderLastFailure, Value: []byte("2026-01-02T03:04:06Z")},
		)}
}

func headerOf(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
