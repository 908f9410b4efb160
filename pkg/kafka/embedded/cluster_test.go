//go:build !brokerfree

package embedded

import (
	"context"
	"net"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// TestEmbeddedBrokerServesItsTopicsUntilStopped: with no brokers
// configured, Start launches a broker on 127.0.0.1 whose configured topics
// exist with the configured partitions before any client asks; Stop shuts
// it down, so its port no longer accepts connections.
func TestEmbeddedBrokerServesItsTopicsUntilStopped(t *testing.T) {
	c := NewCluster(nil, Config{Topics: []string{"orders", "orders.dlq"}, Partitions: 3}, 5*time.Second, zap.NewNop())
	if !c.Embedded() || len(c.Addrs()) != 0 {
		t.Fatalf("before Start: embedded %v, addrs %v", c.Embedded(), c.Addrs())
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop(context.Background())
		}
	}()
	addrs := c.Addrs()
	if len(addrs) != 1 || c.Fake() == nil {
		t.Fatalf("after Start: addrs %v, fake %v", addrs, c.Fake())
	}
	if host, _, err := net.SplitHostPort(addrs[0]); err != nil || host != "127.0.0.1" {
		t.Fatalf("broker address %q: want 127.0.0.1:port", addrs[0])
	}
	tr := &kafkago.Transport{}
	client := &kafkago.Client{Addr: kafkago.TCP(addrs...), Timeout: 30 * time.Second, Transport: tr}
	md, err := client.Metadata(context.Background(), &kafkago.MetadataRequest{Topics: []string{"orders", "orders.dlq"}})
	tr.CloseIdleConnections()
	if err != nil {
		t.Fatal(err)
	}
	partitions := map[string]int{}
	for _, topic := range md.Topics {
		if topic.Error == nil {
			partitions[topic.Name] = len(topic.Partitions)
		}
	}
	if partitions["orders"] != 3 || partitions["orders.dlq"] != 3 {
		t.Fatalf("topics seeded with partitions %v, want orders and orders.dlq with 3 each", partitions)
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if c.Fake() != nil {
		t.Fatal("the broker is still reachable through Fake after Stop")
	}
	if conn, err := net.DialTimeout("tcp", addrs[0], 5*time.Second); err == nil {
		_ = conn.Close()
		t.Fatalf("%s still accepts connections after Stop", addrs[0])
	}
}
