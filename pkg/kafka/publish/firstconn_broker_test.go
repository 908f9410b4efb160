//go:build !brokerfree

package publish

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
)

// TestProducerWritesAgainSoonAfterItsFirstConnectionFailed: a letter
// producer whose first connection fails (the network broke it: here the
// peer is gone before the first request) fails its writes with that
// error while kafka-go keeps it as its Transport's metadata, and writes
// again within conn.MetadataTTL (6s) of the network's return, on the same
// Producer: a dead-letter writer whose first letter meets a broken network
// blocks its partition for at most that long after the network is back.
// The test gives up after 30s, a literal, not the constant: room for a
// loaded machine over the 6s, while a TTL of an hour refreshes that soon
// less than once in a hundred runs. (`make test-network` shows the same
// through real resets.)
func TestProducerWritesAgainSoonAfterItsFirstConnectionFailed(t *testing.T) {
	const giveUpAfter = 30 * time.Second
	c := embedded.NewCluster(nil, embedded.Config{Topics: []string{"orders.dlq"}, Partitions: 1}, 5*time.Second, zap.NewNop())
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Stop(context.Background()) }()
	p := NewProducer("letters")
	p.Open(c.Addrs(), conn.Settings{}, LetterOptions("test-letters", false))
	defer func() { _ = p.Close(5 * time.Second) }()
	var broken atomic.Bool
	broken.Store(true)
	dial := (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	p.transport.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		if broken.Load() {
			client, server := net.Pipe()
			_ = server.Close()
			return client, nil
		}
		return dial(ctx, network, address)
	}
	write := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return p.Write(ctx, kafkago.Message{Topic: "orders.dlq", Value: []byte("letter")})
	}
	for range 3 {
		if err := write(); err == nil {
			t.Fatal("a write succeeded while every connection failed")
		}
	}
	broken.Store(false)
	healed := time.Now()
	var err error
	for err = write(); err != nil; err = write() {
		if time.Since(healed) > giveUpAfter {
			t.Fatalf("writes still fail %s after the network came back: %v", time.Since(healed).Round(time.Millisecond), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("wrote again %s after the network came back", time.Since(healed).Round(time.Millisecond))
}
