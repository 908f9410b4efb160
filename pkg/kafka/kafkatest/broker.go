package kafkatest

import (
	"context"
	"fmt"
	"slices"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TB is what a Broker needs of a test: consumertest.TB, and Cleanup to
// stop the broker when the test ends. *testing.T and *testing.B satisfy
// it.
type TB interface {
	consumertest.TB
	Cleanup(func())
}

// Broker is an embedded Kafka broker private to one test. Its methods
// report failures to the test that started it, from the test's
// goroutine.
type Broker struct {
	t      TB
	addrs  []string
	client *kafkago.Client
}

// Start starts an embedded broker with topics created, partitions each
// (at least 1), and stops it when the test ends. It fails t when the
// broker does not start.
func Start(t TB, partitions int, topics ...string) *Broker {
	t.Helper()
	addrs, stop, err := startEmbedded(max(partitions, 1), topics)
	if err != nil {
		t.Fatalf("kafkatest: start embedded broker: %v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("kafkatest: stop embedded broker: %v", err)
		}
	})
	tr := &kafkago.Transport{ClientID: "kafkatest"}
	t.Cleanup(tr.CloseIdleConnections) // runs first: connections close before the broker
	return &Broker{t: t, addrs: addrs, client: &kafkago.Client{Addr: kafkago.TCP(addrs...), Transport: tr, Timeout: 30 * time.Second}}
}

// Addrs returns the bootstrap addresses, for a client or a service's
// kafka.brokers.
func (b *Broker) Addrs() []string { return slices.Clone(b.addrs) }

// CreateTopic creates topic with partitions partitions and returns once
// every partition has a leader.
func (b *Broker) CreateTopic(topic string, partitions int) {
	b.t.Helper()
	ctx, cancel := b.context()
	defer cancel()
	res, err := b.client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{
		{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1},
	}})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil {
		b.t.Fatalf("kafkatest: create topic %s: %v", topic, err)
		return
	}
	consumertest.Eventually(b.t, "topic "+topic+" to have a leader for each partition", func() bool {
		ids, err := b.partitions(topic)
		return err == nil && len(ids) == partitions
	})
}

// partitions lists topic's partition ids, sorted, once each has a leader.
func (b *Broker) partitions(topic string) ([]int, error) {
	ctx, cancel := b.context()
	defer cancel()
	md, err := b.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, err
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		if len(md.Topics) == 1 {
			return nil, md.Topics[0].Error
		}
		return nil, fmt.Errorf("metadata of %s: %d topics", topic, len(md.Topics))
	}
	var ids []int
	for _, p := range md.Topics[0].Partitions {
		if p.Error != nil || p.Leader.Host == "" {
			return nil, fmt.Errorf("partition %d of %s has no leader yet", p.ID, topic)
		}
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

// mustPartitions is partitions, failing the test on error.
func (b *Broker) mustPartitions(topic string) ([]int, bool) {
	b.t.Helper()
	ids, err := b.partitions(topic)
	if err != nil {
		b.t.Fatalf("kafkatest: partitions of %s: %v", topic, err)
		return nil, false
	}
	return ids, true
}

// context bounds one request to the broker.
func (b *Broker) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), consumertest.Patience)
}
