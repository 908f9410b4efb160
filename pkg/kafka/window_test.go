package kafka

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWindowCommitsOnlyContiguousDoneOffsets(t *testing.T) {
	w := newOffsetWindow(100, 1<<20)
	for _, o := range []int64{10, 11, 13, 14} { // 12 is a gap, as after compaction
		if !w.tryAdmit(o, 1, 0) {
			t.Fatalf("offset %d refused", o)
		}
	}
	if _, ok := w.committable(); ok {
		t.Fatal("nothing done yet")
	}
	w.done(11, 1)
	if _, ok := w.committable(); ok {
		t.Fatal("11 done but 10 is not: nothing is committable")
	}
	w.done(10, 2)
	if off, _ := w.committable(); off != 12 {
		t.Fatalf("committable %d, want 12", off)
	}
	w.done(14, 3)
	if off, _ := w.committable(); off != 12 || w.inFlight() != 1 {
		t.Fatalf("committable %d inflight %d", off, w.inFlight())
	}
	w.done(13, 4)
	if off, _ := w.committable(); off != 15 || w.inFlight() != 0 {
		t.Fatalf("committable %d inflight %d, want 15 and 0", off, w.inFlight())
	}
}

// TestWindowCountsFinishedEntriesBehindAStuckOne: with one message stuck,
// the messages finished after it still hold their place (their offsets
// are not committable), so the window fills and admits nothing more: the
// partition's fetching pauses instead of the window growing. When the
// stuck one finishes, the room of everything behind it frees at once.
func TestWindowCountsFinishedEntriesBehindAStuckOne(t *testing.T) {
	w := newOffsetWindow(4, 1<<20)
	for o := range int64(4) {
		w.tryAdmit(o, 10, 0)
	}
	for o := int64(1); o < 4; o++ {
		w.done(o, 0) // 0 is stuck; 1..3 finish
	}
	if w.tryAdmit(4, 10, 0) {
		t.Fatal("admitted a fifth entry while four are not committable")
	}
	if n, b := w.size(); n != 4 || b != 40 || w.inFlight() != 1 {
		t.Fatalf("window holds %d entries, %d bytes, %d unfinished; want 4, 40, 1", n, b, w.inFlight())
	}
	w.done(0, 0)
	if n, b := w.size(); n != 0 || b != 0 {
		t.Fatalf("after the stuck one finished: %d entries, %d bytes", n, b)
	}
	if off, _ := w.committable(); off != 4 || !w.tryAdmit(4, 10, 0) {
		t.Fatalf("committable %d; room must be free again", off)
	}
}

func TestWindowBoundsBytesButAdmitsOneOversizedMessage(t *testing.T) {
	w := newOffsetWindow(10, 100)
	if !w.tryAdmit(0, 40, 0) || !w.tryAdmit(1, 40, 0) {
		t.Fatal("room refused")
	}
	if w.tryAdmit(2, 40, 0) {
		t.Fatal("byte bound exceeded")
	}
	if !w.tryAdmit(2, 20, 0) {
		t.Fatal("a message that fills the byte bound exactly refused")
	}
	w.done(0, 0)
	w.done(1, 0)
	w.done(2, 0)
	if !w.tryAdmit(3, 500, 0) {
		t.Fatal("an oversized message must be admitted when the window is empty")
	}
	if w.tryAdmit(4, 1, 0) {
		t.Fatal("nothing fits beside an oversized message")
	}
}

// TestWindowHeadSinceIsWhenTheCommitPointLastMoved: the oldest unfinished
// offset holds the partition from when it became the oldest, not from
// when it was fetched; finishing later offsets does not move it.
func TestWindowHeadSinceIsWhenTheCommitPointLastMoved(t *testing.T) {
	w := newOffsetWindow(10, 1<<20)
	w.tryAdmit(0, 1, 100)
	w.tryAdmit(1, 1, 200)
	w.tryAdmit(2, 1, 300)
	if h, ok := w.oldest(); !ok || h.offset != 0 || h.since.UnixNano() != 100 {
		t.Fatalf("head %+v %v, want offset 0 held since 100", h, ok)
	}
	w.done(2, 400) // behind the head: the commit point does not move
	if h, _ := w.oldest(); h.offset != 0 || h.since.UnixNano() != 100 {
		t.Fatalf("head %+v after finishing a later offset", h)
	}
	w.done(0, 500)
	if h, _ := w.oldest(); h.offset != 1 || h.since.UnixNano() != 500 || h.fetched.UnixNano() != 200 {
		t.Fatalf("head %+v, want offset 1 fetched at 200, held since 500", h)
	}
	w.done(1, 600)
	if _, ok := w.oldest(); ok {
		t.Fatal("an empty window has no head")
	}
	w.tryAdmit(3, 1, 700) // work arriving after a quiet spell holds from its arrival
	if h, _ := w.oldest(); h.since.UnixNano() != 700 {
		t.Fatalf("head %+v, want held since 700", h)
	}
}

func TestWindowMemoryStaysProportionalToTheBound(t *testing.T) {
	w := newOffsetWindow(100, 1<<20)
	for o := range int64(100_000) {
		w.tryAdmit(o, 1, 0)
		w.done(o, 0)
	}
	if len(w.entries) > 200 {
		t.Fatalf("window keeps %d entries with nothing in it", len(w.entries))
	}
	if off, _ := w.committable(); off != 100_000 {
		t.Fatalf("committable %d", off)
	}
}

// TestWindowClosedRecordsNothing: once the partition released its
// messages, a late finish is refused and close reports what was released.
func TestWindowClosedRecordsNothing(t *testing.T) {
	w := newOffsetWindow(10, 1<<20)
	w.tryAdmit(0, 1, 0)
	w.tryAdmit(1, 1, 0)
	w.done(1, 0)
	if released := w.close(); released != 1 || !w.isClosed() {
		t.Fatalf("released %d, want 1", released)
	}
	if w.done(0, 0) {
		t.Fatal("a finish after close was recorded")
	}
}

func TestWindowAdmitWaitsForRoomOrContext(t *testing.T) {
	w := newOffsetWindow(1, 1<<20)
	w.tryAdmit(0, 1, 0)
	got := make(chan error, 1)
	go func() { got <- w.admit(context.Background(), 1, 1, 0) }()
	select {
	case err := <-got:
		t.Fatalf("admit returned %v while full", err)
	case <-time.After(20 * time.Millisecond):
	}
	w.done(0, 0)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.admit(ctx, 2, 1, 0); err == nil {
		t.Fatal("admit into a full window with a cancelled context must fail")
	}
}

func TestWindowRejectsMisuse(t *testing.T) {
	for name, f := range map[string]func(*offsetWindow){
		"out of order admit": func(w *offsetWindow) { w.tryAdmit(5, 1, 0); w.tryAdmit(4, 1, 0) },
		"same offset twice":  func(w *offsetWindow) { w.tryAdmit(5, 1, 0); w.tryAdmit(5, 1, 0) },
		"unknown done":       func(w *offsetWindow) { w.tryAdmit(5, 1, 0); w.done(6, 0) },
		"done twice":         func(w *offsetWindow) { w.tryAdmit(5, 1, 0); w.tryAdmit(6, 1, 0); w.done(6, 0); w.done(6, 0) },
		"done when empty":    func(w *offsetWindow) { w.done(0, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); !strings.HasPrefix(fmt.Sprint(r), "offset window: ") {
					t.Fatalf("misuse not detected as such: %v", r)
				}
			}()
			f(newOffsetWindow(10, 1<<20))
		})
	}
}

// TestWindowBoundsHoldWhileWorkersFinishConcurrently races one admitter
// against workers finishing offsets out of order (run with -race): the
// bounds hold throughout, no finish is lost, the admitter waiting for
// room is always woken once there is some (done signals it only while it
// waits), and the accounting ends exact.
func TestWindowBoundsHoldWhileWorkersFinishConcurrently(t *testing.T) {
	const total, workers, bound = 50_000, 4, 64
	w := newOffsetWindow(bound, 1<<20)
	queues := make([]chan int64, workers)
	for i := range queues {
		queues[i] = make(chan int64, bound)
	}
	var finishers sync.WaitGroup
	for _, q := range queues {
		finishers.Go(func() {
			for o := range q {
				if !w.done(o, o) {
					t.Error("a finish was refused")
				}
			}
		})
	}
	for o := range int64(total) {
		if err := w.admit(context.Background(), o, 10, o); err != nil {
			t.Fatal(err)
		}
		if n, b := w.size(); n > bound || b > bound*10 {
			t.Fatalf("window holds %d entries, %d bytes: over its bound", n, b)
		}
		queues[(o*7+o/3)%workers] <- o
	}
	for _, q := range queues {
		close(q)
	}
	finishers.Wait()
	if off, _ := w.committable(); off != total || w.inFlight() != 0 {
		t.Fatalf("committable %d, in flight %d; want %d, 0", off, w.inFlight(), total)
	}
	if n, b := w.size(); n != 0 || b != 0 {
		t.Fatalf("size %d, %d after every finish", n, b)
	}
}
