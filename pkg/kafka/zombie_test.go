//go:build !brokerfree

package kafka

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestZombieHandlersAreCountedAndStopFetching: calls that ignore their
// ended context are counted as zombies once zombie_grace passes; past
// max_zombies their partition stops fetching at once — messages produced
// while it is paused are not fetched, while the healthy partition beside
// it fetches and handles its own — and liveness fails naming it; when the
// zombies return, both recover and the held messages are fetched.
func TestZombieHandlersAreCountedAndStopFetching(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("zombies", 2)
	stuck := keyOn(0, 2, 2, "stuck-")
	release := make(chan struct{})
	var handled [2]atomic.Int64
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if k := string(m.Key); k == stuck[0] || k == stuck[1] {
			<-release // ignores its context
		}
		handled[m.Partition].Add(1)
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "z", Ordering: registry.OrderingKey, Workers: 8}})
	cfg.HandlerTimeout, cfg.ZombieGrace, cfg.MaxZombies, cfg.StallTimeout = 200*time.Millisecond, 100*time.Millisecond, 1, time.Minute
	e := b.startEngine(cfg, registry.Empty().Add("z", h))
	fetched := func(p int) float64 {
		return testutil.ToFloat64(e.metrics.fetched.WithLabelValues(topic, strconv.Itoa(p)))
	}
	paused := func(p int) float64 {
		return testutil.ToFloat64(e.metrics.fetchPaused.WithLabelValues(topic, strconv.Itoa(p)))
	}
	b.produceValues(topic, 2, func(i int) (string, string) { return stuck[i], strconv.Itoa(i) })
	consumertest.Eventually(t, "both stuck messages fetched", func() bool { return fetched(0) == 2 })
	consumertest.Eventually(t, "two zombies", func() bool { return testutil.ToFloat64(e.metrics.zombies) == 2 })
	consumertest.Eventually(t, "liveness to fail", func() bool { return e.Live() != nil })
	if err := e.Live(); !strings.Contains(err.Error(), topic+"/0: 2 zombie calls of handler z") {
		t.Fatalf("liveness reason: %v", err)
	}
	st := e.State()
	if len(st.Partitions) != 2 || st.Partitions[0].Zombies != 2 || len(st.Partitions[0].Calls) != 2 || !strings.Contains(st.Live, "zombie") {
		t.Fatalf("state during zombies: %+v", st)
	}
	for _, c := range st.Partitions[0].Calls {
		if !c.Zombie || !c.Cancelled || c.Offset > 1 || c.RunningSeconds <= 0 {
			t.Fatalf("running call: %+v", c)
		}
	}
	// The fetch loop was already waiting for a message when the zombies
	// appeared: it pauses without one more.
	consumertest.Eventually(t, "partition 0's fetching to pause", func() bool { return paused(0) == 1 })

	// While paused, messages produced to partition 0 stay unfetched. The
	// healthy partition 1, given its messages at the same time, fetches
	// and handles them twice over: time enough for partition 0 to have
	// fetched its own, were it fetching.
	others, healthy := keyOn(0, 2, 10, "other-"), keyOn(1, 2, 10, "healthy-")
	for round := range 2 {
		b.produceValues(topic, 10, func(i int) (string, string) { return others[i], strconv.Itoa(i) })
		b.produceValues(topic, 10, func(i int) (string, string) { return healthy[i], strconv.Itoa(i) })
		want := int64(10 * (round + 1))
		consumertest.Eventually(t, "partition 1 to fetch and handle its messages", func() bool { return handled[1].Load() == want })
	}
	_, end := b.committedAndEnd(cfg.GroupID, topic, 2)
	if end[0] != 22 || fetched(0) != 2 || handled[0].Load() != 0 || paused(0) != 1 || paused(1) != 0 {
		t.Fatalf("while paused: partition 0 end offset %d, fetched %v, handled %d, paused %v (partition 1 paused %v); want 22, 2, 0, 1 (0)",
			end[0], fetched(0), handled[0].Load(), paused(0), paused(1))
	}

	close(release)
	consumertest.Eventually(t, "zombies to return and partition 0 to fetch and handle what it held", func() bool { return handled[0].Load() == 22 })
	if got := fetched(0); got != 22 {
		t.Fatalf("partition 0 fetched %v, want 22", got)
	}
	if e.Live() != nil || testutil.ToFloat64(e.metrics.zombies) != 0 {
		t.Fatalf("after the zombies returned: live %v, zombies %v", e.Live(), testutil.ToFloat64(e.metrics.zombies))
	}
	// (issue 9, finding 6) the pause is over: the gauge says so.
	if v := paused(0); v != 0 {
		t.Fatalf("kafka_consumer_fetch_paused = %v after the zombies returned and fetching resumed", v)
	}
}

// TestStuckMessageInNoneOrderingBoundsTheWindowAndIsNamed (issue 9,
// finding 2): in ordering none, one message stuck in a call that ignores
// its context freezes the commit point while the other workers keep
// finishing. Their finished offsets count toward max_inflight, so the
// window stops growing and fetching pauses; and the frozen commit point is
// a stall that liveness names, offset and handler, although completions
// continue.
func TestStuckMessageInNoneOrderingBoundsTheWindowAndIsNamed(t *testing.T) {
	const total, maxInflight = 2000, 50
	b := newTestBroker(t)
	topic := b.createTopic("none-stuck", 1)
	release := newGate()
	var handled atomic.Int64
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Offset == 5 {
			release.wait() // ignores its context
		}
		handled.Add(1)
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingNone, Workers: 4}})
	cfg.MaxInflight = maxInflight
	cfg.HandlerTimeout, cfg.ZombieGrace, cfg.StallTimeout = 200*time.Millisecond, 100*time.Millisecond, time.Second
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	t.Cleanup(release.open) // before the engine's stop, which would wait for the stuck call
	b.produce(topic, 0, total, strconv.Itoa)

	largest := 0
	consumertest.Eventually(t, "liveness to name the stuck offset", func() bool {
		st := e.State()
		if len(st.Partitions) == 1 {
			largest = max(largest, st.Partitions[0].WindowEntries)
		}
		err := e.Live()
		return err != nil && strings.Contains(err.Error(), topic+"/0 stalled at offset 5: handler h")
	})
	consumertest.Eventually(t, "fetch paused", func() bool { return testutil.ToFloat64(e.metrics.fetchPaused.WithLabelValues(topic, "0")) == 1 })
	st := e.State()
	largest = max(largest, st.Partitions[0].WindowEntries)
	if largest > maxInflight {
		t.Fatalf("the window held %d entries; max_inflight is %d", largest, maxInflight)
	}
	if got := handled.Load(); got >= total/2 {
		t.Fatalf("%d messages handled behind a stuck one: fetching must pause at the bound", got)
	}
	if v, _ := gauge(t, e.reg, "kafka_consumer_stalled", map[string]string{"topic": topic, "partition": "0"}); v != 1 {
		t.Fatalf("kafka_consumer_stalled = %v", v)
	}
	if committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1); committed[0] > 5 {
		t.Fatalf("committed %d past the stuck offset 5", committed[0])
	}
	release.open()
	consumertest.Eventually(t, "everything after it", func() bool { return handled.Load() == total })
	consumertest.Eventually(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, 1))
	consumertest.Eventually(t, "liveness to recover", func() bool { return e.Live() == nil })
	t.Logf("none ordering, one stuck message: window at most %d entries (max_inflight %d); %s", largest, maxInflight, "named by liveness")
}

// TestZombieAtRevokeIsAbandonedAndTheMemberRejoins (issue 9, finding 5): a
// handler call that ignores its context when its partition is revoked is
// abandoned drain_timeout + zombie_grace after the revoke: its message
// stays uncommitted, everything before it and every other partition gets
// its final commit (so the next owner redoes nothing else), and the member
// rejoins the group without waiting for the call.
// (Long: one revoke's timeline, each step reading the state the one before left.)
func TestZombieAtRevokeIsAbandonedAndTheMemberRejoins(t *testing.T) {
	const total = 40
	b := newTestBroker(t)
	topic := b.createTopic("revoke-zombie", 2)
	release := newGate()
	stuck := make(chan struct{})
	var once atomic.Bool
	var mu sync.Mutex
	handled := map[string]int{}
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Partition == 0 && m.Offset == 3 && once.CompareAndSwap(false, true) {
			close(stuck)
			release.wait() // ignores its context
		}
		mu.Lock()
		handled[fmt.Sprintf("%d@%d", m.Partition, m.Offset)]++
		mu.Unlock()
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
	cfg.CommitInterval = time.Hour // only a generation's final commit moves the offsets
	cfg.DrainTimeout, cfg.ZombieGrace = time.Second, 500*time.Millisecond
	cfg.MaxZombies = 0 // so the one abandoned call fails liveness
	a := b.startEngine(cfg, registry.Empty().Add("h", h))
	t.Cleanup(release.open)
	b.produce(topic, 0, total, strconv.Itoa)
	_, end := b.committedAndEnd(cfg.GroupID, topic, 2)
	if end[0] < 5 || end[1] == 0 {
		t.Fatalf("want messages on both partitions, at least 5 on partition 0: %v", end)
	}
	<-stuck
	consumertest.Eventually(t, "partition 1 handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for k := range handled {
			if strings.HasPrefix(k, "1@") {
				n++
			}
		}
		return int64(n) == end[1]
	})

	revoked := time.Now()
	second := b.startEngine(cfg, registry.Empty().Add("h", h)) // joining revokes a's partitions
	consumertest.Eventually(t, "a to rejoin in a new generation", func() bool { return testutil.ToFloat64(a.metrics.rebalances) >= 2 })
	rejoined := time.Since(revoked)
	if bound := cfg.DrainTimeout + cfg.ZombieGrace + 5*time.Second; rejoined > bound {
		t.Fatalf("a rejoined %s after the revoke; the bound is %s", rejoined, bound)
	}
	if n := a.abandoned.Load(); n != 1 {
		t.Fatalf("%d abandoned calls running, want 1", n)
	}
	// Only a restart frees an abandoned call: past max_zombies, liveness says so.
	if err := a.Live(); err == nil || !strings.Contains(err.Error(), "1 handler calls abandoned at revoke or shutdown still run") {
		t.Fatalf("liveness with an abandoned call beyond max_zombies: %v", err)
	}
	committed, _ := b.committedAndEnd(cfg.GroupID, topic, 2)
	if committed[0] != 3 || committed[1] != end[1] {
		t.Fatalf("final commits %v; want partition 0 at its stuck offset 3 and partition 1 at its end %d", committed, end[1])
	}
	release.open()
	consumertest.Eventually(t, "the stuck message handled by the next owner", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return handled["0@3"] == 2 && int64(len(handled)) == end[0]+end[1] // the zombie's return, and the redelivery
	})
	consumertest.Eventually(t, "the abandoned call to be counted back", func() bool {
		return a.abandoned.Load() == 0 && testutil.ToFloat64(a.metrics.zombies) == 0 && a.Live() == nil
	})
	a.stop(t)
	second.stop(t)
	if !allCommitted(t, b, cfg.GroupID, topic, 2)() {
		t.Fatal("after both members stopped, the group is not committed to the end")
	}
	mu.Lock()
	defer mu.Unlock()
	for k, n := range handled {
		if n > 1 && k != "0@3" {
			t.Errorf("%s handled %d times: the final commit before the rejoin must cover it", k, n)
		}
	}
	t.Logf("member rejoined %s after the revoke (drain %s + grace %s)", rejoined.Round(time.Millisecond), cfg.DrainTimeout, cfg.ZombieGrace)
}
