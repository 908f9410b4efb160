//go:build !brokerfree

package kafka_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// committed counts the messages whose offsets the engine has committed,
// over every partition it owns.
func committed(st kafka.State) int64 {
	var n int64
	for _, p := range st.Partitions {
		if p.CommittedOffset > 0 {
			n += p.CommittedOffset
		}
	}
	return n
}

// The engine for a registry of one handler, on the embedded broker (no
// brokers configured), wired as a service's ProviderSet wires it and
// started and stopped in its order: the broker first and last, then the
// publisher, then the engine. Messages published to the subscribed topic
// are each handled once and committed.
func ExampleNewEngine() {
	var handled atomic.Int64
	orders := registry.Handler("orders", message.HandlerFunc(func(context.Context, *message.Message) error {
		handled.Add(1)
		return nil
	}), registry.Subscription{Topic: "orders", Ordering: registry.OrderingKey, Workers: 4})
	handlers, err := registry.New(orders)
	if err != nil {
		fmt.Println(err)
		return
	}

	cfg := kafka.DefaultConfig()
	cfg.GroupID = "example-orders"
	cfg.Embedded.Topics = []string{"orders"}
	cfg.FetchMaxWait, cfg.CommitInterval = 100*time.Millisecond, 100*time.Millisecond
	log := zap.NewNop()
	cluster := kafka.NewCluster(cfg, log)
	publisher := kafka.NewPublisher(cfg, cluster)
	metrics, err := kafka.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	engine, err := kafka.NewEngine(cfg, cluster, handlers, metrics, log)
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cluster.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer func() { fmt.Println("broker stopped:", cluster.Stop(ctx)) }()
	if err := publisher.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer func() { fmt.Println("publisher stopped:", publisher.Stop(ctx)) }()
	if err := engine.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}

	const n = 10
	for i := range n {
		msg := message.Message{Topic: "orders", Key: []byte("customer-" + strconv.Itoa(i%3)), Value: []byte("order-" + strconv.Itoa(i))}
		if err := publisher.Publish(ctx, msg); err != nil {
			fmt.Println(err)
		}
	}
	// Wait until every message is handled and its offset committed: no
	// partition lags behind its high water mark.
	for ctx.Err() == nil && !(handled.Load() == n && committed(engine.State()) == n) {
		time.Sleep(10 * time.Millisecond)
	}
	st := engine.State()
	fmt.Println("handled:", handled.Load(), "committed:", committed(st), "partitions:", len(st.Partitions), "live:", st.Live)
	fmt.Println("engine stopped:", engine.Stop(ctx))
	// Output:
	// handled: 10 committed: 10 partitions: 4 live: ok
	// engine stopped: <nil>
	// publisher stopped: <nil>
	// broker stopped: <nil>
}
