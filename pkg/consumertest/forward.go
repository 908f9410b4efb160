package consumertest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Forward listens on listen (host:port; port 0 picks a free one) and
// relays every connection it accepts, both ways, to target, until the
// test ends: then it closes the listener and every connection and waits
// for its goroutines. It returns the address it listens on. A test uses
// it to reach a broker by an address the broker's certificate does not
// name; every byte, the TLS handshake included, is the broker's.
func Forward(t testing.TB, listen, target string) string {
	t.Helper()
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatalf("forward from %s: %v", listen, err)
	}
	f := &forwarder{l: l, target: target, open: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.close)
	return l.Addr().String()
}

type forwarder struct {
	l      net.Listener
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	open   map[net.Conn]bool
}

func (f *forwarder) accept() {
	defer f.wg.Done()
	for {
		in, err := f.l.Accept()
		if err != nil {
			return // closed
		}
		out, err := net.Dial("tcp", f.target)
		if err != nil {
			_ = in.Close() // the client sees the target refuse, as it would directly
			continue
		}
		if !f.track(in, out) {
			return
		}
		f.wg.Add(2)
		go f.relay(out, in)
		go f.relay(in, out)
	}
}

// track records an open pair, or closes it when the forwarder closed.
func (f *forwarder) track(conns ...net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		f.open[c] = true
	}
	return true
}

// relay copies from src to dst; when either side ends, both close, so
// the other direction ends too.
func (f *forwarder) relay(dst, src net.Conn) {
	defer f.wg.Done()
	_, _ = io.Copy(dst, src) // however it ended, the pair is done
	_ = dst.Close()
	_ = src.Close()
}

func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	for c := range f.open {
		_ = c.Close()
	}
	f.mu.Unlock()
	_ = f.l.Close()
	f.wg.Wait()
}
