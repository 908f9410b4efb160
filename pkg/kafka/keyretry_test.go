package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// keysOnLanes returns, for key ordering with lanes workers, another key
// routed to key's worker and a key routed to a different one.
func keysOnLanes(t *testing.T, key string, lanes int) (sameLane, otherLane string) {
	t.Helper()
	lane := keyHash([]byte(key)) % uint32(lanes)
	for i := 0; sameLane == "" || otherLane == ""; i++ {
		k := "k" + strconv.Itoa(i)
		switch {
		case i > 1000:
			t.Fatal("no keys found on both lanes")
		case keyHash([]byte(k))%uint32(lanes) == lane:
			if sameLane == "" {
				sameLane = k
			}
		case otherLane == "":
			otherLane = k
		}
	}
	return sameLane, otherLane
}

// TestKeyOrderingRetryBlocksOnlyItsKey: in key ordering, a message retried
// in place holds its key — the key's later messages wait behind it, and
// so do the keys that share its worker — while the partition's other keys
// complete; the commit point stays at the retried message until it ends,
// then moves past everything completed.
func TestKeyOrderingRetryBlocksOnlyItsKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 4
		sameLane, otherLane := keysOnLanes(t, "a", workers)
		var failing atomic.Bool
		failing.Store(true)
		var mu sync.Mutex
		var handled []string // key@offset, in the order calls succeeded
		attempts := map[int64]int{}
		handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			mu.Lock()
			defer mu.Unlock()
			attempts[m.Offset]++
			if string(m.Key) == "a" && failing.Load() {
				return errBusy
			}
			handled = append(handled, fmt.Sprintf("%s@%d", m.Key, m.Offset))
			return nil
		}))
		sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingKey, Workers: workers,
			Retry: registry.RetryPolicy{MaxAttempts: 1000, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 10 * time.Millisecond}}
		cfg := testConfig(nil)
		cfg.StallTimeout = 24 * time.Hour // a thousand attempts keep key a failing on purpose
		r := runPartition(t, cfg, sub, handlers, "")
		r.feed(keyed(0, "a", otherLane, otherLane, "a", sameLane, otherLane)...)
		time.Sleep(time.Second) // on the bubble's clock: about 100 attempts of a@0
		synctest.Wait()
		mu.Lock()
		if got := fmt.Sprint(handled); got != fmt.Sprintf("[%s@1 %s@2 %s@5]", otherLane, otherLane, otherLane) {
			t.Fatalf("handled while a@0 is retried: %s; want only the other lane's key %s", got, otherLane)
		}
		if attempts[0] < 50 || attempts[3] != 0 || attempts[4] != 0 {
			t.Fatalf("attempts %v: a@0 retried in place, a@3 and %s@4 (its worker's) waiting behind it", attempts, sameLane)
		}
		mu.Unlock()
		if r.committable() != -1 || r.outcome(delivery.OutcomeSuccess) != 3 {
			t.Fatalf("committable %d, success %d while a@0 is retried; want -1 and 3", r.committable(), r.outcome(delivery.OutcomeSuccess))
		}
		failing.Store(false)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		mu.Lock()
		if got := fmt.Sprint(handled[3:]); got != fmt.Sprintf("[a@0 a@3 %s@4]", sameLane) {
			t.Fatalf("after the retry succeeded: %s; want a@0, then a@3 and %s@4 behind it", got, sameLane)
		}
		mu.Unlock()
		if r.committable() != 6 || r.outcome(delivery.OutcomeRetried) != 1 || r.outcome(delivery.OutcomeSuccess) != 5 {
			t.Fatalf("committable %d, retried %d, success %d; want 6, 1, 5", r.committable(), r.outcome(delivery.OutcomeRetried), r.outcome(delivery.OutcomeSuccess))
		}
	})
}
