package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/consumerkit/consumerkit/internal/message"
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

// TestLedgerTwoInstancesOneStopsMidway: 10,000 ids over 4 partitions, two
// members of one group, one leaves midway. Every id is processed at least
// once, partition order holds, and the group's committed offsets reach the
// end offsets.
func TestLedgerTwoInstancesOneStopsMidway(t *testing.T) {
	const total, partitions, chunk = 10_000, 4, 250
	b := newTestBroker(t)
	topic := b.createTopic("ledger", partitions)
	keyOf := func(i int) string { return fmt.Sprintf("key-%d", i%97) }

	l := newLedger()
	var perInstance [2]atomic.Int64
	registry := func(instance int) *message.Registry {
		return message.NewRegistry().Add("ledger", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			perInstance[instance].Add(1)
			return l.record(m)
		}))
	}
	cfg := testConfig([]Subscription{{Topic: topic, Handler: "ledger", Ordering: OrderingPartition}})
	a := b.startEngine(cfg, registry(0))
	second := b.startEngine(cfg, registry(1))
	waitFor(t, "both members to join", func() bool { return a.Ready() == nil && second.Ready() == nil })

	// Produce in chunks; once both members have processed messages and a
	// quarter of the ids are out, the second member leaves mid-stream.
	stopped := false
	for next := 0; next < total; next += chunk {
		b.produce(topic, next, next+chunk, keyOf)
		if !stopped && next >= total/4 && perInstance[0].Load() > 0 && perInstance[1].Load() > 0 {
			second.stop(t)
			stopped = true
		}
	}
	if !stopped {
		t.Fatalf("the second member never processed a message (A %d, B %d)", perInstance[0].Load(), perInstance[1].Load())
	}
	waitFor(t, "every id", func() bool { return l.distinct() == total })
	waitFor(t, "committed offsets to reach the end", func() bool {
		committed, end := b.committedAndEnd(cfg.GroupID, topic, partitions)
		for p := range partitions {
			if committed[p] != end[p] {
				return false
			}
		}
		return true
	})
	a.stop(t)

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
	t.Logf("ledger: %d ids, %d deliveries (%d redelivered); member A %d, member B %d",
		total, l.deliveries, l.deliveries-total, perInstance[0].Load(), perInstance[1].Load())
}
