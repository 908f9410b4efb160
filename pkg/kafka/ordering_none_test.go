package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// concurrency counts a handler's calls running at once, and each offset's
// calls.
type concurrency struct {
	mu      sync.Mutex
	running int
	most    int
	calls   map[int64]int
}

func newConcurrency() *concurrency { return &concurrency{calls: map[int64]int{}} }

func (c *concurrency) enter(offset int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running++
	c.most = max(c.most, c.running)
	c.calls[offset]++
}

func (c *concurrency) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running--
}

func (c *concurrency) now() (running, most int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running, c.most
}

func (c *concurrency) callsOf(offset int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[offset]
}

// sameKey makes n messages from offset 0, all of one key: ordering none
// must not serialize them.
func sameKey(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "k"
	}
	return keys
}

// TestNoneOrderingRunsOneKeysMessagesConcurrentlyUpToItsBounds: in
// ordering none, messages of one key on one partition run on every worker
// at once; the calls in hand never exceed the workers, nor max_inflight
// when it is the smaller bound, and the partition stops fetching at
// max_inflight.
func TestNoneOrderingRunsOneKeysMessagesConcurrentlyUpToItsBounds(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		workers, maxInflight int
		want                 int // calls running at once
	}{
		{"bounded by workers", 4, 100, 4},
		{"bounded by max_inflight", 8, 3, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const total = 12
				release := newGate()
				c := newConcurrency()
				handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
					c.enter(m.Offset)
					defer c.leave()
					release.wait()
					return nil
				}))
				cfg := testConfig(nil)
				cfg.MaxInflight = tt.maxInflight
				r := runPartition(t, cfg, registry.Subscription{Handler: "h", Ordering: registry.OrderingNone, Workers: tt.workers}, handlers, "")
				t.Cleanup(release.open)
				r.feed(keyed(0, sameKey(total)...)...)
				synctest.Wait()
				if running, _ := c.now(); running != tt.want {
					t.Fatalf("%d calls running at once, want %d (workers %d, max_inflight %d)", running, tt.want, tt.workers, tt.maxInflight)
				}
				if entries, _ := r.p.window.size(); entries > tt.maxInflight {
					t.Fatalf("the window holds %d entries; max_inflight is %d", entries, tt.maxInflight)
				}
				if tt.maxInflight < total && r.fetchPaused() != 1 {
					t.Fatal("the window is full but fetching is not paused")
				}
				release.open()
				synctest.Wait()
				if _, most := c.now(); most != tt.want {
					t.Fatalf("at most %d calls ran at once, want %d", most, tt.want)
				}
				if r.outcome(delivery.OutcomeSuccess) != total || r.committable() != total {
					t.Fatalf("success %d, committable %d; want %d and %d", r.outcome(delivery.OutcomeSuccess), r.committable(), total, total)
				}
			})
		})
	}
}

// TestNoneOrderingCommitsOnlyTheHighestContiguousCompletedOffset: a slow
// message holds the commit point where it is while the messages after it
// complete on the other workers; when it completes, the commit point moves
// past everything completed behind it.
func TestNoneOrderingCommitsOnlyTheHighestContiguousCompletedOffset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const total, slow = 10, 3
		release := newGate()
		handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			if m.Offset == slow {
				release.wait()
			}
			return nil
		}))
		r := runPartition(t, testConfig(nil), registry.Subscription{Handler: "h", Ordering: registry.OrderingNone, Workers: 4}, handlers, "")
		t.Cleanup(release.open)
		r.feed(keyed(0, sameKey(total)...)...)
		synctest.Wait()
		if got := r.outcome(delivery.OutcomeSuccess); got != total-1 {
			t.Fatalf("%d messages completed around the slow one, want %d", got, total-1)
		}
		if got := r.committable(); got != slow {
			t.Fatalf("committable %d while offset %d runs; want %d: never past an unfinished offset, never behind the completed ones before it", got, slow, slow)
		}
		if head, ok := r.p.window.oldest(); !ok || head.offset != slow {
			t.Fatalf("oldest unfinished offset %d (%v), want %d", head.offset, ok, slow)
		}
		release.open()
		synctest.Wait()
		if got := r.committable(); got != total {
			t.Fatalf("committable %d once the slow one completed, want %d", got, total)
		}
	})
}

// TestNoneOrderingWindowBoundsWorkBehindAStuckMessage: finished messages
// behind a stuck one keep their place in the window, so exactly
// max_inflight messages are fetched and admitted (one more waits to be),
// nothing past them is handled, and fetching is paused until the stuck one
// completes.
func TestNoneOrderingWindowBoundsWorkBehindAStuckMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const total, maxInflight = 50, 10
		release := newGate()
		c := newConcurrency()
		handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			c.enter(m.Offset)
			defer c.leave()
			if m.Offset == 0 {
				release.wait()
			}
			return nil
		}))
		cfg := testConfig(nil)
		cfg.MaxInflight = maxInflight
		r := runPartition(t, cfg, registry.Subscription{Handler: "h", Ordering: registry.OrderingNone, Workers: 4}, handlers, "")
		t.Cleanup(release.open)
		r.feed(keyed(0, sameKey(total)...)...)
		synctest.Wait()
		if got := r.outcome(delivery.OutcomeSuccess); got != maxInflight-1 {
			t.Fatalf("%d completed behind the stuck offset 0, want max_inflight-1 = %d", got, maxInflight-1)
		}
		if got := r.reader.fetched.Load(); got != maxInflight+1 {
			t.Fatalf("fetched %d, want max_inflight %d and the one waiting for room", got, maxInflight)
		}
		for off := int64(maxInflight); off < total; off++ {
			if c.callsOf(off) != 0 {
				t.Fatalf("offset %d handled beyond the window", off)
			}
		}
		if entries, _ := r.p.window.size(); entries != maxInflight || r.fetchPaused() != 1 || r.committable() != -1 {
			t.Fatalf("window %d entries, fetch paused %v, committable %d; want %d, 1, -1", entries, r.fetchPaused(), r.committable(), maxInflight)
		}
		release.open()
		synctest.Wait()
		if r.outcome(delivery.OutcomeSuccess) != total || r.committable() != total || r.fetchPaused() != 0 {
			t.Fatalf("success %d, committable %d, fetch paused %v", r.outcome(delivery.OutcomeSuccess), r.committable(), r.fetchPaused())
		}
	})
}

// TestNoneOrderingGivesEveryMessageExactlyOneOutcome: with workers
// settling concurrently — successes, retries after errors and panics,
// permanent failures to the dead-letter topic — every message gets exactly
// one outcome, the dead-letter topic holds each failed one once, and the
// commit point reaches the end.
func TestNoneOrderingGivesEveryMessageExactlyOneOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const total = 40
		c := newConcurrency()
		handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			c.enter(m.Offset)
			defer c.leave()
			switch m.Offset % 5 {
			case 0:
				return message.Permanent(errors.New("malformed"))
			case 1:
				if m.Attempts == 1 {
					return errBusy
				}
			case 2:
				if m.Attempts == 1 {
					panic("first attempt")
				}
			}
			return nil
		}))
		sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingNone, Workers: 4, Retry: fastRetry(3), DeadLetter: registry.DeadLetterConfig{Enabled: true}}
		r := runPartition(t, testConfig(nil), sub, handlers, "")
		r.feed(keyed(0, sameKey(total)...)...)
		time.Sleep(time.Second) // on the bubble's clock: every backoff has passed
		synctest.Wait()
		want := map[delivery.Outcome]int{delivery.OutcomeSuccess: total * 2 / 5, delivery.OutcomeRetried: total * 2 / 5, delivery.OutcomeDeadLettered: total / 5}
		for _, o := range delivery.Outcomes() {
			if got := r.outcome(o); got != want[o] {
				t.Errorf("outcome %s: %d, want %d", o, got, want[o])
			}
		}
		if r.outcomes() != total || r.committable() != total || r.p.window.inFlight() != 0 {
			t.Fatalf("outcomes %d, committable %d, in flight %d; want %d, %d, 0", r.outcomes(), r.committable(), r.p.window.inFlight(), total, total)
		}
		var dead []int
		for _, l := range r.letters.letters() {
			off, _ := l.Header(dlq.HeaderOffset)
			n, err := strconv.Atoi(string(off))
			if err != nil {
				t.Fatalf("dead letter offset %q", off)
			}
			dead = append(dead, n)
		}
		sort.Ints(dead)
		if got := fmt.Sprint(dead); got != "[0 5 10 15 20 25 30 35]" {
			t.Fatalf("dead letters for offsets %s, want each multiple of 5 once", got)
		}
		for off := range int64(total) {
			want := map[int64]int{0: 1, 1: 2, 2: 2, 3: 1, 4: 1}[off%5]
			if got := c.callsOf(off); got != want {
				t.Errorf("offset %d called %d times, want %d", off, got, want)
			}
		}
	})
}
