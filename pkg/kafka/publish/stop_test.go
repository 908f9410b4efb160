package publish

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// TestPublisherStopKeepsToItsContext (issue 9, finding 6): a publisher
// whose close hangs on a broker that does not answer gives up when the
// shutdown's context ends, not after close_timeout, so the components
// stopped after it keep their share of the shutdown.
func TestPublisherStopKeepsToItsContext(t *testing.T) {
	addr, accepted := consumertest.BlackHole(t, 2*time.Second)
	pub := NewPublisher(Config{ClientID: "test", CloseTimeout: time.Minute}, addrs{addr})
	if err := pub.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var published sync.WaitGroup
	published.Go(func() {
		_ = pub.Publish(context.Background(), message.Message{Topic: "orders", Value: []byte("x")})
	})
	<-accepted
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- pub.Stop(ctx) }()
	select {
	case err := <-stopped:
		if err == nil {
			t.Fatal("Stop reported a clean close of a writer stuck on a hanging broker")
		}
	case <-time.After(10 * time.Second): // far below close_timeout (1m)
		t.Fatal("Publisher.Stop ignored its context")
	}
	published.Wait()
}
