package contender

import (
	"sync"
	"testing"
)

func TestStopwatchTimesTheFirstAndTheNthMessageFromManyGoroutines(t *testing.T) {
	const n, workers = 10_000, 8
	sw := NewStopwatch(n)
	if f, l := sw.Span(); f != 0 || l != 0 {
		t.Fatalf("span before the end: %d %d", f, l)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range n / workers {
				sw.Mark(1)
			}
		})
	}
	wg.Wait()
	for name, ch := range map[string]<-chan struct{}{"first": sw.First(), "half": sw.Half(), "done": sw.Done()} {
		select {
		case <-ch:
		default:
			t.Errorf("%s not closed after %d messages", name, n)
		}
	}
	first, last := sw.Span()
	if first == 0 || last < first || !sw.Finished() || sw.Count() != n {
		t.Errorf("span %d–%d, finished %v, count %d", first, last, sw.Finished(), sw.Count())
	}
}

func TestStopwatchCountsBatches(t *testing.T) {
	sw := NewStopwatch(1000)
	sw.Mark(400)
	select {
	case <-sw.Half():
		t.Fatal("half closed at 400 of 1000")
	default:
	}
	sw.Mark(500)
	select {
	case <-sw.Half():
	default:
		t.Fatal("half not closed at 900 of 1000")
	}
	if sw.Finished() {
		t.Fatal("finished at 900 of 1000")
	}
	sw.Mark(100)
	<-sw.Done()
	sw.Mark(5) // a redelivery past the end is counted, not timed again
	if sw.Count() != 1005 {
		t.Errorf("count %d, want 1005", sw.Count())
	}
}

func TestKeyHashSendsAKeyToOneWorker(t *testing.T) {
	if keyHash([]byte("k42")) != keyHash([]byte("k42")) {
		t.Fatal("one key, two hashes")
	}
	workers := map[uint32]bool{}
	for i := range 500 {
		workers[keyHash([]byte{'k', byte(i), byte(i >> 8)})%64] = true
	}
	if len(workers) < 60 {
		t.Errorf("500 keys reach %d of 64 workers", len(workers))
	}
}
