//go:build !brokerfree

package dlq_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
)

// A dead letter goes back to the topic its dlq.original.topic header
// names. (Here the letter is written by hand, on a broker in this process;
// `consumer dlq replay` does the same against a real cluster.)
func ExampleReplay() {
	ctx := context.Background()
	cluster := embedded.NewCluster(nil, embedded.Config{Topics: []string{"orders", "orders.dlq"}, Partitions: 1}, 5*time.Second, zap.NewNop())
	if err := cluster.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = cluster.Stop(ctx) }()

	p := publish.NewProducer("example")
	p.Open(cluster.Addrs(), conn.Settings{}, publish.ProducerOptions{ClientID: "example"})
	written := p.Write(ctx, kafkago.Message{Topic: "orders.dlq", Key: []byte("order-1"), Value: []byte(`{"id":1}`), Headers: []kafkago.Header{
		{Key: dlq.HeaderTopic, Value: []byte("orders")},
		{Key: dlq.HeaderError, Value: []byte("decode order: unexpected end of JSON input")},
	}})
	if err := errors.Join(written, p.Close(5*time.Second)); err != nil {
		fmt.Println(err)
		return
	}

	sum, err := dlq.Replay(ctx, dlq.Cluster{Brokers: cluster.Addrs(), ClientID: "example-replay", CloseTimeout: 5 * time.Second},
		dlq.ReplayOptions{Topic: "orders.dlq", FilterError: "decode order"}, nil)
	fmt.Println(sum, err)
	// Output: scanned 1, matched 1, replayed 1, without original topic 0 <nil>
}
