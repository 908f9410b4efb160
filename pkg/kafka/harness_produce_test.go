package kafka

import (
	"context"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// produce writes values i in [from, to) to topic, each keyed by keyOf(i),
// spread over partitions by key, and returns when all are acknowledged.
func (b *testBroker) produce(topic string, from, to int, keyOf func(i int) string) {
	b.t.Helper()
	b.produceRange(topic, from, to, func(i int) (string, string) { return keyOf(i), strconv.Itoa(i) })
}

// produceValues writes n messages whose key and value kv(i) gives.
func (b *testBroker) produceValues(topic string, n int, kv func(i int) (key, value string)) {
	b.t.Helper()
	b.produceRange(topic, 0, n, kv)
}

func (b *testBroker) produceRange(topic string, from, to int, kv func(i int) (key, value string)) {
	b.t.Helper()
	tr := b.transport()
	w := &kafkago.Writer{Addr: kafkago.TCP(b.addrs...), Topic: topic, Balancer: kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond, BatchSize: 500, Transport: tr}
	defer tr.CloseIdleConnections()
	defer w.Close()
	const chunk = 500
	for i := from; i < to; i += chunk {
		var msgs []kafkago.Message
		for j := i; j < min(i+chunk, to); j++ {
			k, v := kv(j)
			msgs = append(msgs, kafkago.Message{Key: []byte(k), Value: []byte(v)})
		}
		if err := w.WriteMessages(context.Background(), msgs...); err != nil {
			b.t.Fatalf("produce to %s: %v", topic, err)
		}
	}
}

// produceMessages writes msgs, each to its own Topic, with their headers.
func (b *testBroker) produceMessages(msgs ...message.Message) {
	b.t.Helper()
	tr := b.transport()
	defer tr.CloseIdleConnections()
	w := &kafkago.Writer{Addr: kafkago.TCP(b.addrs...), Balancer: kafkago.Murmur2Balancer{}, RequiredAcks: kafkago.RequireAll,
		BatchTimeout: time.Millisecond, Transport: tr}
	defer w.Close()
	out := make([]kafkago.Message, len(msgs))
	for i, m := range msgs {
		out[i] = kafkago.Message{Topic: m.Topic, Key: m.Key, Value: m.Value}
		for _, h := range m.Headers {
			out[i].Headers = append(out[i].Headers, kafkago.Header{Key: h.Key, Value: h.Value})
		}
	}
	if err := w.WriteMessages(context.Background(), out...); err != nil {
		b.t.Fatalf("produce: %v", err)
	}
}

// keyOn returns n distinct keys, each prefix-i for some i, that the
// producers' murmur2 partitioner puts on partition of a topic with
// partitions partitions.
func keyOn(partition, partitions, n int, prefix string) []string {
	all := make([]int, partitions)
	for i := range all {
		all[i] = i
	}
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := prefix + strconv.Itoa(i)
		if (kafkago.Murmur2Balancer{}).Balance(kafkago.Message{Key: []byte(k)}, all...) == partition {
			keys = append(keys, k)
		}
	}
	return keys
}
