//go:build network && !brokerfree

package kafka

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Each scenario is a ledger run on the real broker through the proxy
// (see networkRig): every id ends in exactly one outcome, none is lost,
// partition order holds, fetched = outcomes + released, and duplicates
// are counted and bounded. Liveness is sampled throughout the fault and
// must never fail. `make test-network` runs them.

// TestNetworkLatency: 200ms ± 100ms added to everything the broker sends
// on every connection while 3,000 ids are produced and consumed through
// it. Slow is not broken: the member keeps its one generation, so
// nothing is redelivered (bound: 0).
func TestNetworkLatency(t *testing.T) {
	const total = 3000
	r := startNetworkRun(t, 0)
	r.rig.toxic("latency", "downstream", `{"latency": 200, "jitter": 100}`)
	w := watchFault(r.e, r.rig.listen)
	for from := 0; from < total; from += 500 {
		r.produce(from, from+500, shortKey)
	}
	f := r.finishWatched(w, total)
	if f.generations != 1 || f.redelivered != 0 {
		t.Fatalf("under latency: %d generations, %d redelivered; want 1 and 0", f.generations, f.redelivered)
	}
	f.log(t, "latency 200ms±100ms", "run", time.Since(r.start))
}

// TestNetworkConnectionReset: every 5s, every connection in use is reset
// (RST, what was in flight lost; see networkRig.resetEvery) — the
// coordinator's, each fetch's, the producer's — while 5,000 ids are
// produced over about 15s. The clients reconnect; a
// reset heartbeat or commit may cost the member its generation, and what
// was processed but not committed is redelivered; the test's producer
// writes again what a reset connection failed (see networkRun.produce).
// Bound: each id is delivered at most once per generation for each time
// it was written, and redeliveries stay under 25% of the ids.
func TestNetworkConnectionReset(t *testing.T) {
	const total, chunk = 5000, 250
	r := startNetworkRun(t, time.Millisecond)
	stop := r.rig.resetEvery(5*time.Second, 1500*time.Millisecond)
	w := watchFault(r.e, r.rig.listen)
	for from := 0; from < total; from += chunk {
		r.produce(from, from+chunk, shortKey)
		time.Sleep(750 * time.Millisecond)
	}
	stop()
	if n := r.rig.resets.Load(); n < 3 {
		t.Fatalf("the connections were reset %d times while the ids were produced; want at least 3", n)
	}
	f := r.finishWatched(w, total)
	r.assertRedeliveryBound(f)
	t.Logf("connections reset %d times", r.rig.resets.Load())
	f.log(t, "connection reset every 5s", "run", time.Since(r.start))
}

// TestNetworkBandwidth: 100 KB/s each way on every connection (toxiproxy
// limits each connection on its own) while 4,000 ids with 120-byte keys
// (about 550 KB with their record overhead) are produced and consumed
// through it: heartbeats still pass, so the member keeps its one
// generation (bound: 0 redelivered).
func TestNetworkBandwidth(t *testing.T) {
	const total = 4000
	r := startNetworkRun(t, 0)
	r.rig.toxic("bandwidth", "downstream", `{"rate": 100}`)
	r.rig.toxic("bandwidth", "upstream", `{"rate": 100}`)
	w := watchFault(r.e, r.rig.listen)
	pad := strings.Repeat("k", 110)
	for from := 0; from < total; from += 500 {
		r.produce(from, from+500, func(i int) string { return fmt.Sprintf("%s-%03d", pad, i%97) })
	}
	f := r.finishWatched(w, total)
	if f.generations != 1 || f.redelivered != 0 {
		t.Fatalf("under a bandwidth limit: %d generations, %d redelivered; want 1 and 0", f.generations, f.redelivered)
	}
	f.log(t, "bandwidth 100KB/s", "run", time.Since(r.start))
}

// TestNetworkBlackHole: mid-stream, every packet between the clients and
// the broker is dropped for 30s (connections stay open, nothing gets
// through), three times the session timeout. The broker evicts the
// member — asked directly, it no longer lists it — while the member stays
// live and its partitions, then its group, name the broker they wait
// on. When the network returns the member rejoins as a new member in a
// later generation and everything is processed. Bound: redelivered at
// most what was delivered by the time the hole closed and not committed
// when it opened, once per generation end (see assertFaultBound).
func TestNetworkBlackHole(t *testing.T) {
	const total = 4000
	r := startNetworkRun(t, 4*time.Millisecond)
	r.produce(0, total, shortKey)
	r.waitFor(total / 5)
	member, generation, _ := membership(r.e)
	committed := r.committed()
	up := r.rig.toxic("timeout", "upstream", `{"timeout": 0}`)
	down := r.rig.toxic("timeout", "downstream", `{"timeout": 0}`)
	opened := time.Now()
	w := watchFault(r.e, r.rig.listen)
	eventuallyWithin(t, 30*time.Second, "the broker to evict the member", func() bool { return r.evicted(member) })
	evictedAfter := time.Since(opened)
	time.Sleep(30*time.Second - time.Since(opened))
	up()
	down()
	healed, exposed := time.Now(), r.deliveries()-committed
	w.sawNetwork(t, r.rig.listen, true, true)
	f := r.finishWatched(w, total)
	recovery := time.Since(healed)
	after, gen, ok := r.lastMembership()
	if !ok || after == member || gen <= generation {
		t.Fatalf("after the black hole: member %q generation %d (before: %q, %d); want a new member in a later generation", after, gen, member, generation)
	}
	r.assertFaultBound(f, exposed)
	t.Logf("evicted %s after the hole opened; generation %d → %d", evictedAfter.Round(100*time.Millisecond), generation, gen)
	f.log(t, "black hole 30s", "recovery", recovery)
}

// TestNetworkBrokerKilled: mid-stream, the broker is SIGKILLed and, 3s
// later, started again on its data (scripts/kafka.sh kill, start). The
// member stays live and its state names the broker it waits on; once
// the broker is back everything is processed. Bound: redelivered at most
// what was delivered by the time the broker answered again and not
// committed when it died, once per generation end (see
// assertFaultBound).
func TestNetworkBrokerKilled(t *testing.T) {
	const total = 4000
	r := startNetworkRun(t, 4*time.Millisecond)
	r.rig.broker("status")
	r.produce(0, total, shortKey)
	r.waitFor(total / 5)
	committed := r.committed()
	w := watchFault(r.e, r.rig.listen)
	r.rig.broker("kill")
	time.Sleep(3 * time.Second)
	r.rig.broker("start")
	restarted, exposed := time.Now(), r.deliveries()-committed
	f := r.finishWatched(w, total)
	recovery := time.Since(restarted)
	w.sawNetwork(t, r.rig.listen, false, true)
	r.assertFaultBound(f, exposed)
	f.log(t, "broker SIGKILLed, restarted after 3s", "recovery", recovery)
}
