//go:build !brokerfree

package kafka

import (
	"context"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestStartCreatesRetryTopicsWithTheTopicsPartitions: Start creates every
// missing retry topic, default-named or named, with as many partitions as
// the topic it serves, ready (led) before Start returns; a retry topic
// that already exists is kept as it is.
func TestStartCreatesRetryTopicsWithTheTopicsPartitions(t *testing.T) {
	b := newTestBroker(t)
	three := b.createTopic("rt-three", 3)
	five := b.createTopic("rt-five", 5)
	existing := b.createTopic("rt-existing", 3)
	b.createExactTopic(existing+".retry", 2)
	named := five + ".later"
	retry := registry.RetryTopicConfig{Enabled: true, Delay: 100 * time.Millisecond, Rounds: 1}
	namedRetry := retry
	namedRetry.Topic = named
	cfg := testConfig([]registry.Subscription{
		{Topic: three, Handler: "h", Ordering: registry.OrderingPartition, RetryTopic: retry},
		{Topic: five, Handler: "h", Ordering: registry.OrderingPartition, RetryTopic: namedRetry},
		{Topic: existing, Handler: "h", Ordering: registry.OrderingPartition, RetryTopic: retry},
	})
	b.startEngine(cfg, registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return nil })))

	client := &kafkago.Client{Addr: kafkago.TCP(b.addrs...), Timeout: 30 * time.Second, Transport: b.transport()}
	defer client.Transport.(*kafkago.Transport).CloseIdleConnections()
	for topic, want := range map[string]int{three + ".retry": 3, named: 5, existing + ".retry": 2} {
		md, err := client.Metadata(context.Background(), &kafkago.MetadataRequest{Topics: []string{topic}})
		if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
			t.Fatalf("metadata of %s right after Start: %v, %+v", topic, err, md)
		}
		if got := len(md.Topics[0].Partitions); got != want {
			t.Errorf("%s has %d partitions, want %d", topic, got, want)
		}
		for _, p := range md.Topics[0].Partitions {
			if p.Leader.Host == "" {
				t.Errorf("%s/%d has no leader right after Start", topic, p.ID)
			}
		}
	}
}
