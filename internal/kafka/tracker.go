package kafka

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// offsetTracker knows, for one partition, which fetched offsets are done and
// so which offset is safe to commit: one past the highest offset below which
// every fetched message is done. Offsets need not be contiguous (compaction
// and transaction markers leave gaps); only fetch order matters.
//
// It holds one entry per in-flight message, so its size is bounded by the
// partition's in-flight limit. Safe for concurrent use.
type offsetTracker struct {
	mu      sync.Mutex
	pending []trackedOffset // fetch order, oldest first; pending[head:] are live
	head    int
	commit  int64 // next offset to commit; -1 until something is done
	open    int   // added and not done
}

type trackedOffset struct {
	offset  int64
	fetched int64 // unix nanoseconds, for the oldest in-flight age
	done    bool
}

func newOffsetTracker() *offsetTracker { return &offsetTracker{commit: -1} }

// Add records a fetched offset; offsets must be added in increasing order.
func (t *offsetTracker) Add(offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.pending); n > t.head && t.pending[n-1].offset >= offset {
		panic(fmt.Sprintf("offset tracker: offset %d added after %d", offset, t.pending[n-1].offset))
	}
	t.pending = append(t.pending, trackedOffset{offset: offset, fetched: time.Now().UnixNano()})
	t.open++
}

// Done marks a fetched offset as finished and advances the commit point
// over every finished offset at the front.
func (t *offsetTracker) Done(offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	live := t.pending[t.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].offset >= offset })
	if i == len(live) || live[i].offset != offset {
		panic(fmt.Sprintf("offset tracker: offset %d marked done but never added", offset))
	}
	if live[i].done {
		panic(fmt.Sprintf("offset tracker: offset %d marked done twice", offset))
	}
	live[i].done = true
	t.open--
	for t.head < len(t.pending) && t.pending[t.head].done {
		t.commit = t.pending[t.head].offset + 1
		t.head++
	}
	// Reclaim the consumed prefix once it dominates, so memory stays
	// proportional to what is in flight.
	if t.head > 64 && t.head*2 >= len(t.pending) {
		n := copy(t.pending, t.pending[t.head:])
		t.pending = t.pending[:n]
		t.head = 0
	}
}

// Committable returns the next offset to commit and whether any offset has
// been completed at all.
func (t *offsetTracker) Committable() (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commit, t.commit >= 0
}

// Oldest returns the oldest unfinished offset and when it was fetched.
// The first live entry is always unfinished (Done advances past finished
// ones), so this is O(1).
func (t *offsetTracker) Oldest() (offset int64, fetched time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.head == len(t.pending) {
		return 0, time.Time{}, false
	}
	e := t.pending[t.head]
	return e.offset, time.Unix(0, e.fetched), true
}

// InFlight returns how many fetched offsets are not done.
func (t *offsetTracker) InFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}
