//go:build !brokerfree

package kafka

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestLedgerRebalanceScaleOneToThreeToOne: one member, then three, then
// one again, while ids are produced. No id is lost, partition order holds,
// and the committed offsets reach the end offsets. Periodic commits are
// off, so every offset moves only by a generation's final commit: a clean
// revoke drains and commits what finished before the member rejoins, so
// the only messages a next owner may see again are those the revoked
// member released — fetched but not finished (never started, or cut by the
// drain deadline). Duplicates are bounded by kafka_consumer_released_total
// summed over the members.
func TestLedgerRebalanceScaleOneToThreeToOne(t *testing.T) {
	const total, partitions, chunk, maxInflight = 30_000, 6, 500, 100
	b := newTestBroker(t)
	topic := b.createTopic("rebalance", partitions)
	keyOf := func(i int) string { return "k" + strconv.Itoa(i%211) }
	l := newLedger()
	var per [3]atomic.Int64
	handlers := func(i int) *registry.Registry {
		return registry.Empty().Add("ledger", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			per[i].Add(1)
			return l.record(m)
		}))
	}
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "ledger", Ordering: registry.OrderingPartition}})
	cfg.MaxInflight = maxInflight
	cfg.CommitInterval = time.Hour // only the final commit of each generation moves offsets

	next := 0
	produce := func(upTo int) {
		for ; next < upTo; next += chunk {
			b.produce(topic, next, next+chunk, keyOf)
		}
	}
	a := b.startEngine(cfg, handlers(0))
	produce(total / 6)
	consumertest.Eventually(t, "member A to consume", func() bool { return per[0].Load() > 0 })

	// Scale out to three while producing.
	bm, cm := b.startEngine(cfg, handlers(1)), b.startEngine(cfg, handlers(2))
	consumertest.Eventually(t, "three members to join", func() bool { return bm.Ready() == nil && cm.Ready() == nil })
	for next < 2*total/3 && (per[1].Load() == 0 || per[2].Load() == 0) {
		produce(next + chunk)
	}
	if per[1].Load() == 0 || per[2].Load() == 0 {
		consumertest.Eventually(t, "members B and C to consume", func() bool { return per[1].Load() > 0 && per[2].Load() > 0 })
	}
	produce(2 * total / 3)

	// Scale back in to one while producing.
	bm.stop(t)
	produce(5 * total / 6)
	cm.stop(t)
	produce(total)

	consumertest.Eventually(t, "every id", func() bool { return l.distinct() == total })
	rebalances := testutil.ToFloat64(a.metrics.rebalances)
	a.stop(t)
	if !allCommitted(t, b, cfg.GroupID, topic, partitions)() {
		t.Fatal("after every member stopped, the committed offsets are not at the end")
	}
	fetched, outcomes, released := assertAccounting(t, a, bm, cm)
	t.Logf("accounting over the three members: fetched %v = outcomes %v + released %v", fetched, outcomes, released)

	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.outOfOrder) > 0 {
		t.Fatalf("partition order broken: %v", l.outOfOrder[:min(5, len(l.outOfOrder))])
	}
	if int(outcomes) != l.deliveries {
		t.Fatalf("%v outcomes for %d handler calls: every call here succeeds and has exactly one", outcomes, l.deliveries)
	}
	duplicates := l.deliveries - total
	if duplicates > int(released) {
		t.Fatalf("%d duplicates, but the members released only %v messages at revokes and stops: finished messages were redelivered, so a revoke did not commit them",
			duplicates, released)
	}
	t.Logf("rebalance ledger: %d ids, %d deliveries, %d duplicates (bound: %v released); member A saw %v generations; A %d, B %d, C %d",
		total, l.deliveries, duplicates, released, rebalances, per[0].Load(), per[1].Load(), per[2].Load())
}

// TestCommitsAreFencedAfterMemberIsRebalancedOut: a member whose handler
// ignores its context keeps a partition past the rebalance timeout; the
// group moves on without it, the new owner consumes and commits to the
// end, and when the old member's handler finally returns, its late commit
// carries the old generation and is refused: the committed offset never
// goes back (kafka-go issue 1308).
func TestCommitsAreFencedAfterMemberIsRebalancedOut(t *testing.T) {
	const total = 200
	b := newTestBroker(t)
	topic := b.createTopic("fence", 1)
	release := make(chan struct{})
	var zombieEntered atomic.Bool
	zombie := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Offset == 50 {
			zombieEntered.Store(true)
			<-release // ignores its context: Go cannot stop it
		}
		return nil
	})
	var newOwner atomic.Int64
	healthy := message.HandlerFunc(func(context.Context, *message.Message) error { newOwner.Add(1); return nil })

	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
	cfg.RebalanceTimeout = 3 * time.Second
	cfg.SessionTimeout = 6 * time.Second
	cfg.DrainTimeout = time.Second
	cfg.CloseTimeout = 2 * time.Second
	old := b.startEngine(cfg, registry.Empty().Add("h", zombie))
	b.produce(topic, 0, total, strconv.Itoa)
	consumertest.Eventually(t, "the old member to be stuck at offset 50", zombieEntered.Load)
	consumertest.Eventually(t, "offsets before 50 committed", func() bool {
		c, _ := b.committedAndEnd(cfg.GroupID, topic, 1)
		return c[0] == 50
	})

	owner := b.startEngine(cfg, registry.Empty().Add("h", healthy))
	consumertest.Eventually(t, "the new owner to consume and commit to the end", func() bool {
		c, end := b.committedAndEnd(cfg.GroupID, topic, 1)
		return newOwner.Load() > 0 && c[0] == end[0]
	})
	close(release) // the zombie returns; its generation ended long ago
	consumertest.Eventually(t, "the old member's late commit to be refused", func() bool {
		return testutil.ToFloat64(old.metrics.commits.WithLabelValues("error")) >= 1
	})
	c, end := b.committedAndEnd(cfg.GroupID, topic, 1)
	if c[0] != end[0] {
		t.Fatalf("committed offset went back to %d (end %d): a stale generation's commit was accepted", c[0], end[0])
	}
	owner.stop(t)
	old.stop(t)
	t.Logf("fenced: committed offset stayed at %d; the new owner handled %d messages", c[0], newOwner.Load())
}
