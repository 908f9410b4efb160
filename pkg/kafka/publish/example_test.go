//go:build !brokerfree

package publish_test

import (
	"context"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// A handler's output, published on the embedded broker: the broker starts
// before the publisher and stops after it.
func ExamplePublisher() {
	ctx := context.Background()
	cluster := embedded.NewCluster(nil, embedded.Config{Topics: []string{"orders.enriched"}, Partitions: 1}, 5*time.Second, zap.NewNop())
	if err := cluster.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = cluster.Stop(ctx) }()

	pub := publish.NewPublisher(publish.Config{ClientID: "example-publisher", CloseTimeout: 5 * time.Second}, cluster)
	if err := pub.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	err := pub.Publish(ctx, message.Message{Topic: "orders.enriched", Key: []byte("order-1"), Value: []byte(`{"id":1}`)})
	fmt.Println("published, acknowledged by every in-sync replica:", err)
	fmt.Println("stopped:", pub.Stop(ctx))

	// What a consumer of orders.enriched reads.
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: cluster.Addrs(), Topic: "orders.enriched", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer func() { _ = r.Close() }()
	readCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	m, err := r.FetchMessage(readCtx)
	fmt.Printf("read %s %s %v\n", m.Key, m.Value, err)
	// Output:
	// published, acknowledged by every in-sync replica: <nil>
	// stopped: <nil>
	// read order-1 {"id":1} <nil>
}
