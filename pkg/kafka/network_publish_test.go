//go:build network && !brokerfree

package kafka

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// writeAgainWithin is how soon after the network heals a client's
// Transport writes again at the latest: a Transport whose first metadata
// request was reset serves that error until its next refresh, within
// conn.MetadataTTL (6s). A literal, not that constant, so that a longer
// MetadataTTL fails the tests that promise this.
const writeAgainWithin = 6 * time.Second

// publishRecovery bounds how long after the network heals a write must be
// acknowledged: writeAgainWithin, and a few seconds more for the write
// itself on a loaded machine.
const publishRecovery = writeAgainWithin + 5*time.Second

// publishLedger writes ids, one Publish each, through a Publisher built as
// the service builds it (NewPublisher: its own Transport, reused by every
// write), and records every attempt: which ids were acknowledged, and when
// each failed attempt was made.
type publishLedger struct {
	t        *testing.T
	b        *testBroker
	p        *publish.Publisher
	topic    string
	next     int
	acked    []ack
	failures []ack
}

// ack is one attempt: its id, when it ended, and its error (nil: acknowledged).
type ack struct {
	id  int
	at  time.Time
	err error
}

// newPublishLedger starts a publisher for topic; it dials nothing before
// its first write.
func newPublishLedger(t *testing.T, b *testBroker, topic string) *publishLedger {
	t.Helper()
	cfg := testConfig(nil)
	cfg.Brokers, cfg.TLS, cfg.SASL = b.addrs, b.tls, b.sasl
	p := NewPublisher(cfg, b.cluster)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("stop the publisher: %v", err)
		}
	})
	return &publishLedger{t: t, b: b, p: p, topic: topic}
}

// attempt publishes id once, within 5s, and records the attempt.
func (l *publishLedger) attempt(id int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.p.Publish(ctx, message.Message{Topic: l.topic, Key: []byte(shortKey(id)), Value: []byte(strconv.Itoa(id))})
	a := ack{id: id, at: time.Now(), err: err}
	if err != nil {
		l.failures = append(l.failures, a)
	} else {
		l.acked = append(l.acked, a)
	}
	return err
}

// steady writes the next id every 20ms for d, each again every 100ms
// until it is acknowledged, as a caller that must not lose it would (the
// engine retries a letter so). An id not acknowledged within
// publishRecovery of its first attempt fails the test. It returns how
// many attempts failed.
func (l *publishLedger) steady(d time.Duration) (failed int) {
	l.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		id, first := l.next, time.Now()
		l.next++
		for err := l.attempt(id); err != nil; err = l.attempt(id) {
			failed++
			if time.Since(first) > publishRecovery {
				l.t.Fatalf("id %d not acknowledged within %s, %d attempts failed, the last: %v", id, publishRecovery, failed, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return failed
}

// assertRecovered: after healed, the first write was acknowledged within
// publishRecovery, and no attempt failed later than writeAgainWithin
// after healed: a reset connection does not keep a Transport failing.
// It returns how long the first acknowledgement took and how many
// attempts failed after healed.
func (l *publishLedger) assertRecovered(healed time.Time, phase string) (recovery time.Duration, failedAfter int) {
	l.t.Helper()
	var last ack
	for _, f := range l.failures {
		if f.at.After(healed) {
			failedAfter++
			last = f
		}
	}
	if failedAfter > 0 && last.at.Sub(healed) > writeAgainWithin {
		l.t.Fatalf("%s: a write failed %s after the network healed (%d failed attempts since): %v", phase, last.at.Sub(healed).Round(time.Millisecond), failedAfter, last.err)
	}
	for _, a := range l.acked {
		if a.at.After(healed) {
			recovery = a.at.Sub(healed)
			break
		}
	}
	if recovery == 0 || recovery > publishRecovery {
		l.t.Fatalf("%s: no write acknowledged within %s after the network healed", phase, publishRecovery)
	}
	l.t.Logf("%s: first write acknowledged %s after the network healed; %d attempts failed after it healed", phase, recovery.Round(time.Millisecond), failedAfter)
	return recovery, failedAfter
}

// assertStored reads the topic back, directly from the broker's log: every
// acknowledged id is there. It returns how many ids it holds twice (an
// acknowledgement lost with a reset connection, the write then repeated).
func (l *publishLedger) assertStored() (twice int) {
	l.t.Helper()
	seen := map[int]int{}
	for _, m := range l.b.readAll(l.topic, networkPartitions) {
		id, err := strconv.Atoi(string(m.Value))
		if err != nil {
			l.t.Fatalf("%s holds %q", l.topic, m.Value)
		}
		seen[id]++
	}
	for _, a := range l.acked {
		if seen[a.id] == 0 {
			l.t.Fatalf("id %d acknowledged at %s but not in %s", a.id, a.at.Format(time.StampMilli), l.topic)
		}
	}
	for _, n := range seen {
		twice += min(n-1, 1)
	}
	l.t.Logf("%d ids acknowledged, %d failed attempts, %d ids stored twice", len(l.acked), len(l.failures), twice)
	return twice
}

// TestNetworkPublisherWritesAgainAfterResets: a Publisher writes steadily
// while every connection in use is reset every 3s for 1.5s (see
// networkRig.resetEvery), then through one more such reset: each time, once
// the network is healthy, its writes are acknowledged again, on the same
// Publisher and Transport, with no failure later than writeAgainWithin
// after the heal; every acknowledged id is in the topic. (A reset costs
// the requests on the reset connections; kafka-go dials new ones.)
func TestNetworkPublisherWritesAgainAfterResets(t *testing.T) {
	rig, b := newNetworkRig(t)
	l := newPublishLedger(t, b, b.createTopic("publish-resets", networkPartitions))
	if failed := l.steady(time.Second); failed != 0 {
		t.Fatalf("%d writes failed on a healthy network", failed)
	}
	stop := rig.resetEvery(3*time.Second, 1500*time.Millisecond)
	during := l.steady(10 * time.Second)
	stop()
	healed := time.Now()
	if n := rig.resets.Load(); n < 3 || during == 0 {
		t.Fatalf("%d resets, %d failed attempts while they lasted: the resets did not reach the publisher", n, during)
	}
	l.steady(3 * time.Second)
	recovery, after := l.assertRecovered(healed, "resets every 3s")

	resets := rig.resets.Load()
	stop = rig.resetEvery(2*time.Second, 1500*time.Millisecond)
	once := l.steady(3700 * time.Millisecond)
	stop()
	healedOnce := time.Now()
	if n := rig.resets.Load() - resets; n != 1 {
		t.Fatalf("%d resets, want 1", n)
	}
	l.steady(3 * time.Second)
	recoveryOnce, afterOnce := l.assertRecovered(healedOnce, "one reset")
	twice := l.assertStored()
	t.Logf("network figures: publisher through resets: %d failed attempts during %d resets, first ack %s after, %d failed after; one reset: %d failed during, first ack %s after, %d failed after; %d ids, %d stored twice",
		during, resets, recovery.Round(time.Millisecond), after, once, recoveryOnce.Round(time.Millisecond), afterOnce, len(l.acked), twice)
}

// TestNetworkPublisherFirstWriteMeetsAReset: a Publisher's first write
// meets a network that resets every connection, for 2s. kafka-go keeps
// the error of its Transport's first metadata request and fails every
// write with it — the same error, the same local port — until its next
// metadata refresh (see conn.MetadataTTL). Once the network is healthy the
// writes are acknowledged again within publishRecovery, on the same
// Publisher, and none fails later than writeAgainWithin after the heal.
func TestNetworkPublisherFirstWriteMeetsAReset(t *testing.T) {
	rig, b := newNetworkRig(t)
	topic := b.createTopic("publish-first", networkPartitions)
	heal := rig.toxic("reset_peer", "downstream", `{"timeout": 0}`)
	l := newPublishLedger(t, b, topic)
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if err := l.attempt(0); err == nil {
			t.Fatal("a write was acknowledged while every connection was reset")
		}
	}
	heal()
	healed := time.Now()
	l.steady(writeAgainWithin + 2*time.Second)
	recovery, after := l.assertRecovered(healed, "first write reset")
	twice := l.assertStored()
	distinct := map[string]bool{}
	for _, f := range l.failures {
		if f.at.Before(healed) {
			distinct[f.err.Error()] = true
		}
	}
	t.Logf("network figures: publisher whose first write was reset: %d failed attempts in 2s with %d distinct errors, first ack %s after the heal, %d failed after; %d ids, %d stored twice",
		len(l.failures)-after, len(distinct), recovery.Round(time.Millisecond), after, len(l.acked), twice)
}
