//go:build network && !brokerfree

package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

const networkPartitions = 4

// networkRun is one ledger run through the misbehaving network: one
// member consuming a 4-partition topic with a handler that records every
// delivery in the ledger (see ledger_test.go), after an optional delay.
type networkRun struct {
	t     *testing.T
	rig   *networkRig
	b     *testBroker
	topic string
	cfg   Config
	l     *ledger
	e     *engineUnderTest
	start time.Time
	// lettered: the handler's failures become letters (dead or retry),
	// whose writes a generation's end may cut short (see finishWatched).
	lettered bool
	// final is the member's membership when everything was done.
	final struct {
		member     string
		generation int32
		ok         bool
	}
}

func startNetworkRun(t *testing.T, delay time.Duration) *networkRun {
	t.Helper()
	return startNetworkRunWith(t, func(r *networkRun, _ *registry.Subscription) message.Handler {
		return message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			time.Sleep(delay)
			return r.l.record(m)
		})
	})
}

// startNetworkRunWith is startNetworkRun with the handler that handler
// returns, on the subscription as handler may have changed it (a
// dead-letter topic, say).
func startNetworkRunWith(t *testing.T, handler func(r *networkRun, sub *registry.Subscription) message.Handler) *networkRun {
	t.Helper()
	rig, b := newNetworkRig(t)
	r := &networkRun{t: t, rig: rig, b: b, topic: b.createTopic("network", networkPartitions), l: newLedger()}
	sub := registry.Subscription{Topic: r.topic, Handler: "ledger", Ordering: registry.OrderingPartition}
	handlers := registry.Empty().Add("ledger", handler(r, &sub))
	r.cfg = testConfig([]registry.Subscription{sub})
	r.cfg.MaxInflight = 100
	r.e = b.startEngine(r.cfg, handlers)
	consumertest.Eventually(t, "the member to join", func() bool { _, _, ok := membership(r.e); return ok })
	r.start = time.Now()
	return r
}

// produce writes ids [from, to), keyed by keyOf, through the proxy, and
// returns when all are acknowledged. A write that fails (kafka-go's writer
// gives up on a batch after a few attempts) is written again, as an
// at-least-once producer would, each time with a new client: a new
// Transport whose first metadata request meets a reset returns that error
// to every write until its next metadata refresh (see conn.MetadataTTL),
// longer than these retries wait; a new one asks again at once. (A
// Transport that has had metadata keeps working through resets:
// TestNetworkPublisherWritesAgainAfterResets.) An acknowledgement lost
// with the connection makes ids the log holds twice (counted as produced
// twice).
func (r *networkRun) produce(from, to int, keyOf func(i int) string) {
	r.t.Helper()
	msgs := make([]kafkago.Message, 0, to-from)
	for i := from; i < to; i++ {
		msgs = append(msgs, kafkago.Message{Key: []byte(keyOf(i)), Value: []byte(strconv.Itoa(i))})
	}
	write := func() error {
		tr := r.b.transport()
		defer tr.CloseIdleConnections()
		w := &kafkago.Writer{Addr: kafkago.TCP(r.b.addrs...), Topic: r.topic, Balancer: kafkago.Murmur2Balancer{},
			RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond, BatchSize: 500, Transport: tr}
		defer w.Close()
		return w.WriteMessages(context.Background(), msgs...)
	}
	for attempt := 1; ; attempt++ {
		err := write()
		if err == nil {
			return
		}
		if attempt == 10 {
			r.t.Fatalf("produce ids [%d, %d) to %s: %d attempts failed, the last: %v", from, to, r.topic, attempt, err)
		}
		var failed kafkago.WriteErrors
		if errors.As(err, &failed) {
			var again []kafkago.Message
			for i, e := range failed {
				if e != nil {
					again = append(again, msgs[i])
				}
			}
			msgs = again
		}
		r.t.Logf("produce ids [%d, %d): attempt %d failed, writing %d again: %v", from, to, attempt, len(msgs), err)
		time.Sleep(200 * time.Millisecond)
	}
}

func shortKey(i int) string { return fmt.Sprintf("key-%d", i%97) }

// networkFigures is what one scenario measured.
type networkFigures struct {
	ids, deliveries int
	// redelivered counts deliveries of an offset already delivered (the
	// consumer's duplicates); producedTwice ids the producer wrote twice
	// after a lost acknowledgement (the log's duplicates).
	redelivered, producedTwice int
	generations                int
	fetched, outcomes          float64
	released                   float64
}

// finishWatched waits until every one of total ids is processed and the
// group's commit point is the end of every partition, ends the watch
// (failing the test if liveness ever failed), stops the member, and
// checks the ledger: every id processed, partition order kept, exactly
// one outcome per handled delivery, fetched = outcomes + released. It
// returns the figures.
func (r *networkRun) finishWatched(w *faultWatch, total int) networkFigures {
	r.t.Helper()
	consumertest.Eventually(r.t, "every id", func() bool { return r.l.distinct() == total })
	consumertest.Eventually(r.t, "committed offsets to reach the end", allCommitted(r.t, r.b, r.cfg.GroupID, r.topic, networkPartitions))
	w.stop(r.t)
	generations := int(consumertest.Sum(r.t, r.e.reg, "kafka_consumer_rebalances_total", nil))
	r.final.member, r.final.generation, r.final.ok = membership(r.e)
	r.e.stop(r.t)
	fetched, outcomes, released := assertAccounting(r.t, r.e)
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	f := networkFigures{ids: total, deliveries: r.l.deliveries, generations: generations, fetched: fetched, outcomes: outcomes, released: released}
	for id := range total {
		if r.l.seen[id] == 0 {
			r.t.Fatalf("id %d never processed", id)
		}
	}
	if len(r.l.seen) != total {
		r.t.Fatalf("%d distinct ids processed, %d produced", len(r.l.seen), total)
	}
	if len(r.l.outOfOrder) > 0 {
		r.t.Fatalf("partition order broken %d times, e.g. %v", len(r.l.outOfOrder), r.l.outOfOrder[:min(5, len(r.l.outOfOrder))])
	}
	if r.lettered {
		// A handled message whose letter is not yet written when its
		// generation ends is released (see worker.handOff), not given an
		// outcome, and handled again by the next generation.
		if int(outcomes) > r.l.deliveries || float64(r.l.deliveries) > outcomes+released {
			r.t.Fatalf("%d handled messages, %v outcomes, %v released: each needs one outcome, or its release before its letter was written", r.l.deliveries, outcomes, released)
		}
	} else if int(outcomes) != r.l.deliveries {
		r.t.Fatalf("%v outcomes for %d handled messages: each needs exactly one", outcomes, r.l.deliveries)
	}
	offsets := 0
	for _, offs := range r.l.firstSeen {
		offsets += len(offs)
	}
	f.redelivered, f.producedTwice = r.l.deliveries-offsets, offsets-total
	return f
}

// log reports the figures as the README's table takes them.
// took is what the scenario timed: the whole run under a lasting fault,
// or, after a passing one, from its end until everything was committed
// (recovery).
func (f networkFigures) log(t *testing.T, scenario, took string, d time.Duration) {
	t.Logf("network figures: %s: %d ids, %d deliveries, %d redelivered, %d produced twice, %d generations, %s %s; fetched %v = outcomes %v + released %v",
		scenario, f.ids, f.deliveries, f.redelivered, f.producedTwice, f.generations, took, d.Round(100*time.Millisecond), f.fetched, f.outcomes, f.released)
}

// faultWatch samples the member while a fault lasts, every 200ms: every
// liveness failure, and the network trouble its partitions and its group
// report that names the proxy's address.
type faultWatch struct {
	stopped chan struct{}
	done    chan struct{}

	mu           sync.Mutex
	samples      int
	liveFailures []string
	partitionNet *NetworkState // the first naming the proxy
	groupNet     *NetworkState
	// blockedSamples counts the samples in which a partition was blocked
	// by a letter write; lastBlocked is the latest of them and
	// longestBlocked the longest time a partition had been blocked.
	blockedSamples int
	lastBlocked    time.Time
	longestBlocked time.Duration
}

func watchFault(e *engineUnderTest, proxy string) *faultWatch {
	w := &faultWatch{stopped: make(chan struct{}), done: make(chan struct{})}
	names := func(n *NetworkState) bool { return n != nil && slices.Contains(n.Brokers, proxy) && n.Error != "" }
	go func() {
		defer close(w.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			st := e.State()
			w.mu.Lock()
			w.samples++
			if err := e.Live(); err != nil {
				w.liveFailures = append(w.liveFailures, err.Error())
			}
			blocked := false
			for _, p := range st.Partitions {
				if w.partitionNet == nil && names(p.Network) {
					w.partitionNet = p.Network
				}
				if p.Blocked != nil && p.Blocked.Reason != "" {
					blocked = true
					w.longestBlocked = max(w.longestBlocked, time.Duration(p.Blocked.Seconds*float64(time.Second)))
				}
			}
			if blocked {
				w.blockedSamples++
				w.lastBlocked = time.Now()
			}
			if w.groupNet == nil && names(st.Network) {
				w.groupNet = st.Network
			}
			w.mu.Unlock()
			select {
			case <-w.stopped:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the watch and fails the test if liveness failed at any
// sample: a member waiting on the network is not a deadlocked one.
func (w *faultWatch) stop(t *testing.T) {
	t.Helper()
	close(w.stopped)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.liveFailures) > 0 {
		t.Fatalf("liveness failed at %d of %d samples during the fault, first: %s", len(w.liveFailures), w.samples, w.liveFailures[0])
	}
}

// sawNetwork fails the test unless a partition (when partition) and the
// group (when group) reported network trouble naming the proxy.
func (w *faultWatch) sawNetwork(t *testing.T, proxy string, partition, group bool) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if partition && w.partitionNet == nil {
		t.Errorf("no partition's state named the broker %s during the fault (%d samples)", proxy, w.samples)
	}
	if group && w.groupNet == nil {
		t.Errorf("the group's state never named the broker %s during the fault (%d samples)", proxy, w.samples)
	}
	if w.partitionNet != nil {
		t.Logf("a partition waiting on the network: %s", w.partitionNet)
	}
	if w.groupNet != nil {
		t.Logf("the group waiting on the network: %s", w.groupNet)
	}
}

// waitFor waits until the ledger holds n distinct ids: mid-stream.
func (r *networkRun) waitFor(n int) {
	r.t.Helper()
	consumertest.Eventually(r.t, fmt.Sprintf("%d ids processed", n), func() bool { return r.l.distinct() >= n })
}

// committed is how many messages the group has committed, over all
// partitions (from offset 0), asked through the proxy.
func (r *networkRun) committed() int {
	r.t.Helper()
	committed, _ := r.b.committedAndEnd(r.cfg.GroupID, r.topic, networkPartitions)
	n := 0
	for p := range networkPartitions {
		n += int(max(committed[p], 0))
	}
	return n
}

// deliveries is how many deliveries the ledger holds so far.
func (r *networkRun) deliveries() int {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	return r.l.deliveries
}

// assertFaultBound: a redelivery is of a message delivered before a
// generation ended and not committed then. With the whole topic produced
// before the fault, what can be redelivered is what was delivered by the
// time the fault passed and had not been committed when it began
// (exposed); each generation end may deliver it again.
func (r *networkRun) assertFaultBound(f networkFigures, exposed int) {
	r.t.Helper()
	if bound := exposed * max(f.generations-1, 1); f.redelivered > bound {
		r.t.Fatalf("%d redelivered: more than the %d delivered but uncommitted across the fault, once per each of %d generation ends (%d)",
			f.redelivered, exposed, f.generations-1, bound)
	}
	r.t.Logf("redelivered %d of %d exposed (delivered by the time the fault passed, not committed when it began)", f.redelivered, exposed)
}

// lastMembership is the member's membership when everything was done.
func (r *networkRun) lastMembership() (member string, generation int32, ok bool) {
	return r.final.member, r.final.generation, r.final.ok
}

// assertRedeliveryBound: each id is delivered at most once per
// generation for each time it was written, and the redeliveries stay
// under a quarter of the ids.
func (r *networkRun) assertRedeliveryBound(f networkFigures) {
	r.t.Helper()
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	perID := f.generations
	if f.producedTwice > 0 {
		perID *= 2
	}
	for id, n := range r.l.seen {
		if n > perID {
			r.t.Fatalf("id %d delivered %d times in %d generations (%d ids produced twice)", id, n, f.generations, f.producedTwice)
		}
	}
	if f.redelivered > f.ids/4 {
		r.t.Fatalf("%d of %d ids redelivered: more than a quarter", f.redelivered, f.ids)
	}
}

// eventuallyWithin waits at most d for cond, asking every 250ms.
func eventuallyWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// evicted reports whether the broker no longer counts member in group.
func (r *networkRun) evicted(member string) bool {
	_, members := r.rig.group(r.cfg.GroupID)
	return !slices.Contains(members, member)
}
