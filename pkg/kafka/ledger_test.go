//go:build !brokerfree

package kafka

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// ledger records every delivery: which ids were processed, and per
// partition the offsets in the order they were first processed.
type ledger struct {
	mu         sync.Mutex
	seen       map[int]int            // id -> deliveries
	firstSeen  map[int]map[int64]bool // partition -> offsets processed
	outOfOrder []string
	deliveries int
}

func newLedger() *ledger {
	return &ledger{seen: map[int]int{}, firstSeen: map[int]map[int64]bool{}}
}

// record notes a delivery. A message processed for the first time while
// an earlier offset of its partition never was breaks partition order.
func (l *ledger) record(m *message.Message) error {
	id, err := strconv.Atoi(string(m.Value))
	if err != nil {
		return message.Permanent(fmt.Errorf("ledger: bad value %q", m.Value))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deliveries++
	l.seen[id]++
	offs := l.firstSeen[m.Partition]
	if offs == nil {
		offs = map[int64]bool{}
		l.firstSeen[m.Partition] = offs
	}
	if !offs[m.Offset] && m.Offset > 0 && !offs[m.Offset-1] {
		l.outOfOrder = append(l.outOfOrder, fmt.Sprintf("p%d@%d before @%d", m.Partition, m.Offset, m.Offset-1))
	}
	offs[m.Offset] = true
	return nil
}

func (l *ledger) distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// freezer holds every handler call at its start while frozen, so that a
// test can look at running engines in a state that does not change: each
// partition's worker waits in the freezer with its message in flight.
type freezer struct {
	mu      sync.Mutex
	gate    *gate            // nil while thawed
	waiting map[[2]int]int64 // (instance, partition) -> offset waiting
}

func newFreezer() *freezer { return &freezer{waiting: map[[2]int]int64{}} }

// pass returns at once while thawed; while frozen it waits until thawed,
// or returns ctx's error when the call's context ends first.
func (f *freezer) pass(ctx context.Context, instance int, m *message.Message) error {
	f.mu.Lock()
	g := f.gate
	if g != nil {
		f.waiting[[2]int{instance, m.Partition}] = m.Offset
	}
	f.mu.Unlock()
	if g == nil {
		return nil
	}
	defer func() {
		f.mu.Lock()
		delete(f.waiting, [2]int{instance, m.Partition})
		f.mu.Unlock()
	}()
	select {
	case <-g.c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = newGate()
}

func (f *freezer) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate.open()
	f.gate = nil
}

// waitsAt reports whether instance's worker of partition waits in the
// freezer with offset.
func (f *freezer) waitsAt(instance, partition int, offset int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.waiting[[2]int{instance, partition}]
	return ok && o == offset
}

// settled reports whether engine instance's partitions cannot change
// while f is frozen: each either waits in the freezer with its oldest
// unfinished message and holds every message produced so far (end) or a
// full window, or has finished everything produced. It returns the
// partitions the engine owns.
func settled(f *freezer, instance int, e *engineUnderTest, end map[int]int64) (owned []int, ok bool) {
	ok = true
	e.live.each(func(p *partitionRun) {
		owned = append(owned, p.partition)
		entries, _ := p.window.size()
		head, holds := p.window.oldest()
		next, done := p.window.committable()
		if !done {
			next = p.start // nothing finished this generation: it starts where the last owner committed
		}
		switch {
		case !holds:
			ok = ok && next == end[p.partition]
		default:
			ok = ok && f.waitsAt(instance, p.partition, head.offset) &&
				(entries == e.cfg.MaxInflight || head.offset+int64(entries) == end[p.partition])
		}
	})
	return owned, ok
}

// ledgerSample is one engine's accounting terms at one moment.
type ledgerSample struct{ fetched, outcomes, inFlight, released float64 }

func sampleLedger(t testing.TB, e *engineUnderTest) ledgerSample {
	return ledgerSample{
		fetched:  consumertest.Sum(t, e.reg, "kafka_consumer_fetched_total", nil),
		outcomes: consumertest.Sum(t, e.reg, "kafka_consumer_messages_total", nil),
		inFlight: consumertest.Sum(t, e.reg, "kafka_consumer_inflight_messages", nil),
		released: consumertest.Sum(t, e.reg, "kafka_consumer_released_total", nil),
	}
}

// assertAccountingWhileRunning freezes the running engines mid-stream,
// waits until every partition of the topic is owned by one of them and
// settled, and asserts each engine's accounting with its in-flight term:
// fetched = outcomes + in flight + released. The terms are read twice,
// 50ms apart, and must agree, so a counter between two updates is never
// mistaken for a broken ledger. It returns the messages in flight.
func assertAccountingWhileRunning(t *testing.T, b *testBroker, f *freezer, topic string, partitions int, engines map[int]*engineUnderTest) float64 {
	t.Helper()
	f.freeze()
	defer f.thaw()
	var samples map[int]ledgerSample
	consumertest.Eventually(t, "the running engines to settle mid-stream", func() bool {
		_, end := b.committedAndEnd("none", topic, partitions)
		var prev map[int]ledgerSample
		for range 2 {
			covered := 0
			now := map[int]ledgerSample{}
			for i, e := range engines {
				owned, ok := settled(f, i, e, end)
				if !ok {
					return false
				}
				covered += len(owned)
				now[i] = sampleLedger(t, e)
			}
			if covered != partitions || (prev != nil && !maps.Equal(prev, now)) {
				return false
			}
			prev = now
			time.Sleep(50 * time.Millisecond)
		}
		samples = prev
		return true
	})
	var inFlight float64
	for i, s := range samples {
		if s.fetched != s.outcomes+s.inFlight+s.released {
			t.Fatalf("member %d mid-stream: fetched %v != outcomes %v + in flight %v + released %v", i, s.fetched, s.outcomes, s.inFlight, s.released)
		}
		inFlight += s.inFlight
	}
	return inFlight
}

// TestLedgerTwoInstancesOneStopsMidway: 10,000 ids over 4 partitions, two
// members of one group, one leaves midway. While they run, each is frozen
// mid-stream several times and its accounting holds with messages in
// flight: fetched = outcomes + in flight + released. At the end every id
// is processed, partition order holds, every handler call has exactly one
// outcome, the group's committed offsets equal the end offsets, and each
// stopped member's fetched messages are its outcomes plus what it
// released.
func TestLedgerTwoInstancesOneStopsMidway(t *testing.T) {
	const total, partitions, chunk = 10_000, 4, 250
	b := newTestBroker(t)
	topic := b.createTopic("ledger", partitions)
	keyOf := func(i int) string { return fmt.Sprintf("key-%d", i%97) }

	l := newLedger()
	f := newFreezer()
	var perInstance [2]atomic.Int64
	handlers := func(instance int) *registry.Registry {
		return registry.Empty().Add("ledger", message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			if err := f.pass(ctx, instance, m); err != nil {
				return err
			}
			perInstance[instance].Add(1)
			return l.record(m)
		}))
	}
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "ledger", Ordering: registry.OrderingPartition}})
	// A chunk brings about 62 messages to each partition: more than a
	// window holds, so frozen partitions pause with a full window.
	cfg.MaxInflight = 50
	a := b.startEngine(cfg, handlers(0))
	second := b.startEngine(cfg, handlers(1))
	consumertest.Eventually(t, "both members to join", func() bool { return a.Ready() == nil && second.Ready() == nil })

	// Produce in chunks; once both members have processed messages and a
	// quarter of the ids are out, the second member leaves mid-stream.
	// Every fifth chunk, the running members are frozen and checked.
	running := map[int]*engineUnderTest{0: a, 1: second}
	stopped := false
	var checks int
	var inFlight []float64
	for next, n := 0, 0; next < total; next, n = next+chunk, n+1 {
		b.produce(topic, next, next+chunk, keyOf)
		if !stopped && next >= total/4 && perInstance[0].Load() > 0 && perInstance[1].Load() > 0 {
			second.stop(t)
			delete(running, 1)
			stopped = true
		}
		if n%5 == 3 {
			inFlight = append(inFlight, assertAccountingWhileRunning(t, b, f, topic, partitions, running))
			checks++
		}
	}
	if !stopped {
		t.Fatalf("the second member never processed a message (A %d, B %d)", perInstance[0].Load(), perInstance[1].Load())
	}
	if slices.Max(inFlight) == 0 {
		t.Fatalf("no message in flight at any of %d mid-stream checks: the in-flight term was never exercised", checks)
	}
	consumertest.Eventually(t, "every id", func() bool { return l.distinct() == total })
	consumertest.Eventually(t, "committed offsets to reach the end", allCommitted(t, b, cfg.GroupID, topic, partitions))
	a.stop(t)
	fetched, outcomes, released := assertAccounting(t, a, second)

	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range total {
		if l.seen[id] == 0 {
			t.Fatalf("id %d never processed", id)
		}
	}
	if len(l.outOfOrder) > 0 {
		t.Fatalf("partition order broken %d times, e.g. %v", len(l.outOfOrder), l.outOfOrder[:min(5, len(l.outOfOrder))])
	}
	if int(outcomes) != l.deliveries {
		t.Fatalf("%v outcomes for %d handled messages: each needs exactly one", outcomes, l.deliveries)
	}
	t.Logf("ledger: %d ids, %d deliveries (%d redelivered); member A %d, member B %d; in flight at %d mid-stream checks: %v; fetched %v = outcomes %v + released %v",
		total, l.deliveries, l.deliveries-total, perInstance[0].Load(), perInstance[1].Load(), checks, inFlight, fetched, outcomes, released)
}
