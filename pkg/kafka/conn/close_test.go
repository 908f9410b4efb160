package conn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCloseWithinGivesUpOnAHangingClose: a close that returns is reported
// as it returned; one that hangs is abandoned after the bound, and the
// error names what was closed.
func TestCloseWithinGivesUpOnAHangingClose(t *testing.T) {
	if err := CloseWithin(time.Minute, "reader", func() error { return nil }); err != nil {
		t.Fatalf("clean close: %v", err)
	}
	boom := errors.New("boom")
	if err := CloseWithin(time.Minute, "reader", func() error { return boom }); !errors.Is(err, boom) || err.Error() != "close reader: boom" {
		t.Fatalf("failed close: %v", err)
	}
	release := make(chan struct{})
	defer close(release)
	done := make(chan error, 1)
	go func() {
		done <- CloseWithin(50*time.Millisecond, "consumer group", func() error { <-release; return nil })
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "close consumer group: still blocked after 50ms; abandoned") {
			t.Fatalf("hanging close: %v", err)
		}
	case <-time.After(10 * time.Second): // far beyond the 50ms bound
		t.Fatal("CloseWithin waited on a hanging close past its bound")
	}
}

// TestRemainingKeepsToTheContext: the bound is d without a deadline, the
// time left when the deadline is sooner, and never below 1ms.
func TestRemainingKeepsToTheContext(t *testing.T) {
	if got := Remaining(context.Background(), time.Minute); got != time.Minute {
		t.Fatalf("no deadline: %s", got)
	}
	soon, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got := Remaining(soon, time.Hour); got > 10*time.Second || got < 5*time.Second {
		t.Fatalf("deadline in 10s, d 1h: %s", got)
	}
	if got := Remaining(soon, time.Second); got != time.Second {
		t.Fatalf("deadline in 10s, d 1s: %s", got)
	}
	past, cancelPast := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelPast()
	if got := Remaining(past, time.Minute); got != time.Millisecond {
		t.Fatalf("deadline passed: %s", got)
	}
}
