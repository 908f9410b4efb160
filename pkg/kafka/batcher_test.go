package kafka

import (
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

func msgOf(size int) *message.Message { return &message.Message{Value: make([]byte, size)} }

// TestBatchDeadlineIsFixedFromFirstMessage is F1's rule on a fake clock: a
// stage that sees one qualifying message in 1,000 (one a second here, at
// 1,000 messages a second) with batch size 100 never fills; each batch must
// be due exactly Linger after its first message, and later messages must
// not push that deadline back.
func TestBatchDeadlineIsFixedFromFirstMessage(t *testing.T) {
	linger := 200 * time.Millisecond
	acc := newBatchAccumulator(registry.BatchConfig{Size: 100, Linger: linger})
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	var flushed, maxWait int64
	var first time.Time
	// 100,000 messages, 1ms apart; every 1,000th qualifies for the batch.
	for i := range 100_000 {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if acc.due(now) {
			wait := now.Sub(first)
			if wait > linger {
				t.Fatalf("batch waited %s, linger is %s", wait, linger)
			}
			maxWait = max(maxWait, int64(wait))
			acc.take()
			flushed++
		}
		if i%1000 != 0 {
			continue
		}
		if acc.empty() {
			first = now
		}
		if reason := acc.add(msgOf(10), now); reason != "" {
			t.Fatalf("a batch of rare messages filled by %s", reason)
		}
	}
	if flushed != 100 || !acc.empty() {
		t.Fatalf("flushed %d batches of the 100 qualifying messages (empty at end: %v)", flushed, acc.empty())
	}
	if time.Duration(maxWait) != linger {
		t.Fatalf("batches flushed after %s, want exactly the linger %s", time.Duration(maxWait), linger)
	}

	// Later messages never extend the deadline.
	acc = newBatchAccumulator(registry.BatchConfig{Size: 100, Linger: linger})
	acc.add(msgOf(1), t0)
	acc.add(msgOf(1), t0.Add(150*time.Millisecond))
	acc.add(msgOf(1), t0.Add(199*time.Millisecond))
	if d, _ := acc.nextDeadline(); !d.Equal(t0.Add(linger)) || !acc.due(t0.Add(linger)) {
		t.Fatalf("deadline moved to %s", d)
	}
}

func TestBatchFlushReasons(t *testing.T) {
	now := time.Now()
	acc := newBatchAccumulator(registry.BatchConfig{Size: 3, Bytes: 100, Linger: time.Second})
	if r := acc.add(msgOf(10), now); r != "" {
		t.Fatalf("flushed early: %s", r)
	}
	acc.add(msgOf(10), now)
	if r := acc.add(msgOf(10), now); r != "size" {
		t.Fatalf("got %q, want size", r)
	}
	if got := len(acc.take()); got != 3 || !acc.empty() {
		t.Fatalf("take returned %d", got)
	}
	if r := acc.add(msgOf(150), now); r != "bytes" {
		t.Fatalf("got %q, want bytes", r)
	}
}

// TestBatchFlushBoundsAreInclusive: a batch is full at exactly Size
// messages or exactly Bytes bytes, not one before; Bytes 0 bounds nothing.
func TestBatchFlushBoundsAreInclusive(t *testing.T) {
	now := time.Now()
	acc := newBatchAccumulator(registry.BatchConfig{Size: 2, Bytes: 100, Linger: time.Second})
	if r := acc.add(msgOf(99), now); r != "" {
		t.Fatalf("one message of 99 bytes, under Size 2 and Bytes 100, flushed by %s", r)
	}
	if r := acc.add(msgOf(0), now); r != "size" {
		t.Fatalf("got %q at exactly Size messages, want size", r)
	}
	acc.take()
	if r := acc.add(msgOf(100), now); r != "bytes" {
		t.Fatalf("got %q at exactly Bytes bytes, want bytes", r)
	}

	unbounded := newBatchAccumulator(registry.BatchConfig{Size: 3, Linger: time.Second})
	if r := unbounded.add(msgOf(1<<20), now); r != "" {
		t.Fatalf("Bytes 0 flushed a batch by %s", r)
	}
}

// TestBatchNextDeadlineOnlyWhileHolding: an empty batch has no deadline
// to wait for (the worker would arm its timer for nothing), and is never
// due.
func TestBatchNextDeadlineOnlyWhileHolding(t *testing.T) {
	t0 := time.Now()
	acc := newBatchAccumulator(registry.BatchConfig{Size: 3, Linger: time.Second})
	if _, ok := acc.nextDeadline(); ok || acc.due(t0.Add(time.Hour)) {
		t.Fatalf("an empty batch has a deadline (%v) or is due", ok)
	}
	acc.add(msgOf(1), t0)
	if d, ok := acc.nextDeadline(); !ok || !d.Equal(t0.Add(time.Second)) {
		t.Fatalf("deadline %v, %v; want %v", d, ok, t0.Add(time.Second))
	}
	if acc.due(t0.Add(time.Second - time.Nanosecond)) {
		t.Fatal("due before its linger passed")
	}
	acc.take()
	if _, ok := acc.nextDeadline(); ok {
		t.Fatal("a taken batch still has a deadline")
	}
}
