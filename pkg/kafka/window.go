package kafka

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// offsetWindow holds one partition's fetched offsets that are not yet
// committable: every message from the oldest unfinished one on, finished
// or not. It decides both what may be committed — one past the highest
// offset below which every fetched message is done — and how much may be
// fetched: at most maxMsgs entries and maxBytes of their payload.
//
// Counting finished entries behind an unfinished one is what bounds the
// partition when one message is stuck while other workers keep finishing
// (key and none ordering): the window fills, fetching pauses, and what a
// restart would redeliver stays within the bound. A single message larger
// than maxBytes is admitted when the window is empty, so it can never
// deadlock the partition.
//
// Offsets need not be contiguous (compaction and transaction markers leave
// gaps); only fetch order matters. The fetch loop is the only admitter.
// Safe for concurrent use.
type offsetWindow struct {
	maxMsgs  int
	maxBytes int64

	mu      sync.Mutex
	entries []windowEntry // fetch order; entries[head:] are in the window
	head    int
	bytes   int64 // payload of entries[head:]
	open    int   // entries not done
	commit  int64 // next offset to commit; -1 until something is done
	// headSince is when the commit point last moved, or work arrived at
	// an empty window (unix ns): how long the oldest unfinished message
	// has held the partition.
	headSince int64
	// closed is set once the partition released its messages: written
	// under mu, read without it.
	closed atomic.Bool
	// wake is signalled when room frees while the fetch loop waits for
	// it (waiting): the one waiter there can be.
	wake    chan struct{}
	waiting bool
}

type windowEntry struct {
	offset  int64
	fetched int64 // unix ns, for the oldest in-flight age
	size    int64
	done    bool
}

func newOffsetWindow(maxMsgs int, maxBytes int64) *offsetWindow {
	return &offsetWindow{maxMsgs: maxMsgs, maxBytes: maxBytes, commit: -1, wake: make(chan struct{}, 1)}
}

// tryAdmit adds a fetched offset of size payload bytes, fetched at now, if
// the window has room. Offsets must be admitted in increasing order.
func (w *offsetWindow) tryAdmit(offset int64, size int, now int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.admitLocked(offset, size, now)
}

func (w *offsetWindow) admitLocked(offset int64, size int, now int64) bool {
	n := len(w.entries) - w.head
	if n >= w.maxMsgs || (n > 0 && w.bytes+int64(size) > w.maxBytes) {
		return false
	}
	if n > 0 && w.entries[len(w.entries)-1].offset >= offset {
		panic(fmt.Sprintf("offset window: offset %d admitted after %d", offset, w.entries[len(w.entries)-1].offset))
	}
	if n == 0 {
		w.headSince = now
	}
	w.entries = append(w.entries, windowEntry{offset: offset, fetched: now, size: int64(size)})
	w.bytes += int64(size)
	w.open++
	return true
}

// admit waits until the window has room and adds the offset, or returns
// ctx's error.
func (w *offsetWindow) admit(ctx context.Context, offset int64, size int, now int64) error {
	for {
		w.mu.Lock()
		admitted := w.admitLocked(offset, size, now)
		w.waiting = !admitted
		w.mu.Unlock()
		if admitted {
			return nil
		}
		select {
		case <-w.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// done marks a fetched offset as finished at now and moves the commit
// point over every finished offset at the front, freeing their room. It
// returns false, and records nothing, once the window is closed: the
// message was released for redelivery and must get no outcome here.
func (w *offsetWindow) done(offset int64, now int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		return false
	}
	live := w.entries[w.head:]
	i := 0 // the oldest, as always in partition ordering
	if len(live) == 0 || live[0].offset != offset {
		i = sort.Search(len(live), func(i int) bool { return live[i].offset >= offset })
	}
	if i == len(live) || live[i].offset != offset {
		panic(fmt.Sprintf("offset window: offset %d marked done but never admitted", offset))
	}
	if live[i].done {
		panic(fmt.Sprintf("offset window: offset %d marked done twice", offset))
	}
	live[i].done = true
	w.open--
	if i != 0 {
		return true
	}
	for w.head < len(w.entries) && w.entries[w.head].done {
		w.commit = w.entries[w.head].offset + 1
		w.bytes -= w.entries[w.head].size
		w.head++
	}
	w.headSince = now
	// Reclaim the consumed prefix once it dominates, so memory stays
	// proportional to the window.
	if w.head > 64 && w.head*2 >= len(w.entries) {
		n := copy(w.entries, w.entries[w.head:])
		w.entries = w.entries[:n]
		w.head = 0
	}
	if w.waiting {
		w.waiting = false
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// committable returns the next offset to commit and whether any offset
// has been completed at all.
func (w *offsetWindow) committable() (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.commit, w.commit >= 0
}

// windowHead is the oldest unfinished offset of a partition.
type windowHead struct {
	offset int64
	// fetched is when it was fetched; since is when it started holding
	// the commit point (it became the oldest unfinished offset).
	fetched, since time.Time
}

// oldest returns the oldest unfinished offset; ok is false when nothing
// is in the window. The first entry in the window is always unfinished
// (done moves past finished ones), so this is O(1).
func (w *offsetWindow) oldest() (h windowHead, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.head == len(w.entries) {
		return windowHead{}, false
	}
	e := w.entries[w.head]
	return windowHead{offset: e.offset, fetched: time.Unix(0, e.fetched), since: time.Unix(0, w.headSince)}, true
}

// inFlight returns how many fetched offsets are not done.
func (w *offsetWindow) inFlight() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open
}

// size returns how many entries, and how many payload bytes, the window
// holds: what counts against its bounds.
func (w *offsetWindow) size() (msgs int, bytes int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.entries) - w.head, w.bytes
}

// close ends the window: later done calls record nothing. It returns how
// many fetched offsets were not done: released, to be redelivered to the
// partition's next owner.
func (w *offsetWindow) close() (released int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed.Store(true)
	return w.open
}

// isClosed reports whether close was called.
func (w *offsetWindow) isClosed() bool { return w.closed.Load() }
