//go:build network && !brokerfree

package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// unblockedWithin bounds how long after the network heals a partition
// may still be blocked by a dead-letter write: the letter producer writes
// again within writeAgainWithin, and the blocked worker tries again
// within max_retry_backoff (100ms in these tests).
const unblockedWithin = writeAgainWithin + 2*time.Second

// deadLetterRecovery bounds how long after the network heals every dead
// letter is written and committed: a generation lost to a reset heartbeat
// is joined again, and the backlog of letters is written, one request
// each, on a loaded machine.
const deadLetterRecovery = 90 * time.Second

// TestNetworkDeadLettersThroughResets: every message fails permanently,
// so each becomes a dead letter, written by the engine's letter producer
// (its own Transport, reused by every letter). The first dead letter is
// written while every connection is reset, for 2s: the producer's first
// metadata request fails, the partition is blocked
// (dead_letter_unavailable) and liveness stays ok. The rest of the ids
// are produced while every connection in use is reset every 3s for 1.5s.
// Once the network is healthy, no partition is blocked by a dead-letter
// write after unblockedWithin, and within deadLetterRecovery every id is
// in the dead-letter topic, the commit point is the end of every
// partition, and the ledger holds (every id handled, one outcome per
// call or its release when a generation's end cut its letter's write
// short, partition order). A reset connection does not keep
// the letter producer failing, so a blocked partition resumes by itself.
// Bound on duplicates: as TestNetworkConnectionReset's.
func TestNetworkDeadLettersThroughResets(t *testing.T) {
	const total, chunk = 2000, 200
	first, entered := newGate(), make(chan struct{})
	var firstCall atomic.Bool
	var dlqTopic string
	r := startNetworkRunWith(t, func(r *networkRun, sub *registry.Subscription) message.Handler {
		dlqTopic = r.topic + ".dlq"
		r.b.createExactTopic(dlqTopic, networkPartitions)
		sub.DeadLetter = registry.DeadLetterConfig{Enabled: true, Topic: dlqTopic}
		r.lettered = true
		return message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			if err := r.l.record(m); err != nil {
				return err
			}
			if firstCall.CompareAndSwap(false, true) {
				close(entered)
				first.wait()
			}
			return message.Permanent(fmt.Errorf("poison %s", m.Value))
		})
	})
	t.Cleanup(first.open)
	r.produce(0, chunk, shortKey)
	select {
	case <-entered:
	case <-time.After(consumertest.Patience):
		t.Fatal("no message handled")
	}
	letterErrors := func() float64 {
		return consumertest.Sum(t, r.e.reg, "kafka_consumer_dead_letter_errors_total", nil)
	}

	heal := r.rig.toxic("reset_peer", "downstream", `{"timeout": 0}`)
	opened := time.Now()
	w := watchFault(r.e, r.rig.listen)
	first.open()
	eventuallyWithin(t, 10*time.Second, "the first dead letter's write to fail", func() bool { return letterErrors() >= 1 })
	var blocked string
	eventuallyWithin(t, 10*time.Second, "its partition to be blocked", func() bool {
		if err := r.e.Blocked(); err != nil {
			blocked = err.Error()
		}
		return blocked != ""
	})
	time.Sleep(2*time.Second - time.Since(opened))
	heal()

	stop := r.rig.resetEvery(3*time.Second, 1500*time.Millisecond)
	for from := chunk; from < total; from += chunk {
		r.produce(from, from+chunk, shortKey)
		time.Sleep(750 * time.Millisecond)
	}
	stop()
	healed := time.Now()
	if n := r.rig.resets.Load(); n < 3 {
		t.Fatalf("the connections were reset %d times while the ids were produced; want at least 3", n)
	}
	eventuallyWithin(t, unblockedWithin, "no partition blocked by a dead-letter write after the network healed", func() bool { return r.e.Blocked() == nil })
	eventuallyWithin(t, deadLetterRecovery, "every id handled and committed after the network healed", func() bool {
		return r.l.distinct() == total && allCommitted(t, r.b, r.cfg.GroupID, r.topic, networkPartitions)()
	})
	recovery := time.Since(healed)
	if err := r.e.Blocked(); err != nil {
		t.Fatalf("a partition is still blocked with everything committed: %v", err)
	}
	if v := consumertest.Sum(t, r.e.reg, "kafka_consumer_partition_blocked", nil); v != 0 {
		t.Fatalf("kafka_consumer_partition_blocked sums to %v with everything committed", v)
	}
	failedWrites := letterErrors()
	f := r.finishWatched(w, total)
	r.assertRedeliveryBound(f)
	twice := assertDeadLettered(t, r, dlqTopic, total)
	t.Logf("blocked while the first letter failed: %s", blocked)
	lastBlocked := "before"
	if after := w.lastBlocked.Sub(healed); after > unblockedWithin {
		t.Fatalf("a partition was still blocked by a dead-letter write %s after the network healed", after.Round(100*time.Millisecond))
	} else if after > 0 {
		lastBlocked = after.Round(100*time.Millisecond).String() + " after"
	}
	t.Logf("network figures: dead letters through resets: %d failed dead-letter writes, %d resets; a partition blocked in %d of %d samples, at most %s at once, last %s the heal; %d dead letters stored twice",
		int(failedWrites), r.rig.resets.Load(), w.blockedSamples, w.samples, w.longestBlocked.Round(100*time.Millisecond), lastBlocked, twice)
	f.log(t, "dead letters through resets", "recovery", recovery)
}

// assertDeadLettered reads the dead-letter topic back: every id of
// [0, total) is there, and nothing else. It returns how many ids it holds
// more than once (a redelivered message is dead-lettered again).
func assertDeadLettered(t *testing.T, r *networkRun, dlqTopic string, total int) (twice int) {
	t.Helper()
	seen := map[int]int{}
	for _, m := range r.b.readAll(dlqTopic, networkPartitions) {
		id, err := strconv.Atoi(string(m.Value))
		if err != nil || id < 0 || id >= total {
			t.Fatalf("%s holds %q", dlqTopic, m.Value)
		}
		seen[id]++
	}
	for id := range total {
		if seen[id] == 0 {
			t.Fatalf("id %d handled and committed but not in %s (%d of %d ids there)", id, dlqTopic, len(seen), total)
		}
		twice += min(seen[id]-1, 1)
	}
	return twice
}
