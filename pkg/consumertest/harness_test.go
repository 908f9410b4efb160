package consumertest

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBufferIsSafeForConcurrentWriters: writes from many goroutines all
// land, readable while they run (the race detector checks the locking).
func TestBufferIsSafeForConcurrentWriters(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "%d\n", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Fatalf("%d lines written, want 800", n)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
}

// TestBlackHoleAcceptsAndNeverAnswers: a connection is accepted (and
// reported), a read on it gets nothing until hold has passed, then EOF.
func TestBlackHoleAcceptsAndNeverAnswers(t *testing.T) {
	addr, accepted := BlackHole(t, 300*time.Millisecond)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-accepted:
	case <-time.After(Patience):
		t.Fatal("the connection was never reported accepted")
	}
	if _, err := c.Write([]byte("a request")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
		t.Fatalf("read %d bytes, %v: want nothing before hold has passed", n, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(Patience))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("read %d bytes, %v: want the connection closed after hold", n, err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestStacksHasOneEntryPerGoroutine: a goroutine parked on a channel
// appears once, with its wait reason in the header and its creator.
func TestStacksHasOneEntryPerGoroutine(t *testing.T) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { <-release })
	defer func() { close(release); wg.Wait() }()
	Eventually(t, "the goroutine parked", func() bool {
		n := 0
		for _, s := range Stacks() {
			header, _, _ := strings.Cut(s, "\n")
			if strings.Contains(header, "[chan receive") && strings.Contains(s, "TestStacksHasOneEntryPerGoroutine") {
				n++
			}
		}
		return n == 1
	})
	if all := Stacks(); len(all) < 2 || !strings.HasPrefix(all[0], "goroutine ") {
		t.Fatalf("%d stacks, first %.40q", len(all), all[0])
	}
}

// TestForwardRelaysBothWaysUntilTheTestEnds: what a client writes to the
// forwarder reaches the target and the target's answer comes back; the
// test's cleanup closes everything (goleak checks the goroutines).
func TestForwardRelaysBothWaysUntilTheTestEnds(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	served := make(chan error, 1)
	go func() {
		c, err := echo.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(c, c)
		served <- err
	}()
	addr := Forward(t, "127.0.0.1:0", echo.Addr().String())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetDeadline(time.Now().Add(Patience)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("echo: %v", err)
		}
	case <-time.After(Patience):
		t.Fatal("the target's connection stayed open after the client closed its end")
	}
}
