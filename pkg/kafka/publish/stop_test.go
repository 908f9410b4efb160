package publish

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// blackHole is a listener that accepts connections and never answers: a
// broker that hangs. Connections are closed after hold, so that clients
// blocked on them end; accepted says when the first arrived.
func blackHole(t *testing.T, hold time.Duration) (addr string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			once.Do(func() { close(first) })
			wg.Go(func() {
				time.Sleep(hold)
				_ = c.Close()
			})
		}
	})
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return ln.Addr().String(), first
}

// TestPublisherStopKeepsToItsContext (issue 9, finding 6): a publisher
// whose close hangs on a broker that does not answer gives up when the
// shutdown's context ends, not after close_timeout, so the components
// stopped after it keep their share of the shutdown.
func TestPublisherStopKeepsToItsContext(t *testing.T) {
	addr, accepted := blackHole(t, 2*time.Second)
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
