package consumertest

import (
	"net"
	"sync"
	"testing"
	"time"
)

// BlackHole listens on a loopback port, accepts connections and never
// answers: a broker that hangs, for testing that a client gives up when
// its context or timeout says. Each connection is closed hold after it
// was accepted, so that clients blocked on it end; accepted is closed
// when the first connection arrives. The listener and every connection
// are closed, and their goroutines waited for, when the test ends.
func BlackHole(t testing.TB, hold time.Duration) (addr string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("black hole: %v", err)
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
