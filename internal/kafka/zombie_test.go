package kafka

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/internal/message"
)

// sumOf adds up every series of a counter or gauge family in reg.
func sumOf(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// assertAccounting checks, for an engine that has stopped, that every
// fetched message is accounted for: fetched = outcomes + released.
func assertAccounting(t testing.TB, engines ...*engineUnderTest) (fetched, outcomes, released float64) {
	t.Helper()
	for _, e := range engines {
		fetched += sumOf(t, e.reg, "kafka_consumer_fetched_total")
		outcomes += sumOf(t, e.reg, "kafka_consumer_messages_total")
		released += sumOf(t, e.reg, "kafka_consumer_released_total")
	}
	if fetched != outcomes+released {
		t.Fatalf("accounting: fetched %v != outcomes %v + released %v", fetched, outcomes, released)
	}
	return fetched, outcomes, released
}

// TestZombieHandlersAreCountedAndStopFetching: calls that ignore their
// ended context are counted as zombies once zombie_grace passes; past
// max_zombies their partition stops fetching and liveness fails naming it;
// when they return, both recover.
func TestZombieHandlersAreCountedAndStopFetching(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("zombies", 1)
	release := make(chan struct{})
	var handled atomic.Int64
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if k := string(m.Key); k == "stuck-a" || k == "stuck-b" {
			<-release // ignores its context
		}
		handled.Add(1)
		return nil
	})
	cfg := testConfig([]Subscription{{Topic: topic, Handler: "z", Ordering: OrderingKey, Workers: 8}})
	cfg.HandlerTimeout, cfg.ZombieGrace, cfg.MaxZombies, cfg.StallTimeout = 200*time.Millisecond, 100*time.Millisecond, 1, time.Minute
	e := b.startEngine(cfg, message.NewRegistry().Add("z", h))
	b.produceValues(topic, 2, func(i int) (string, string) { return []string{"stuck-a", "stuck-b"}[i], strconv.Itoa(i) })
	waitFor(t, "two zombies", func() bool { return testutil.ToFloat64(e.metrics.zombies) == 2 })
	waitFor(t, "liveness to fail", func() bool { return e.Live() != nil })
	if err := e.Live(); !strings.Contains(err.Error(), topic+"/0: 2 zombie calls of handler z") {
		t.Fatalf("liveness reason: %v", err)
	}
	st := e.State()
	if len(st.Partitions) != 1 || st.Partitions[0].Zombies != 2 || len(st.Partitions[0].Calls) != 2 || !strings.Contains(st.Live, "zombie") {
		t.Fatalf("state during zombies: %+v", st)
	}
	for _, c := range st.Partitions[0].Calls {
		if !c.Zombie || !c.Cancelled || c.Offset > 1 || c.RunningSeconds <= 0 {
			t.Fatalf("running call: %+v", c)
		}
	}
	b.produceValues(topic, 10, func(i int) (string, string) { return "other-" + strconv.Itoa(i), strconv.Itoa(i) })
	waitFor(t, "fetch paused", func() bool { return testutil.ToFloat64(e.metrics.fetchPaused.WithLabelValues(topic, "0")) == 1 })
	if handled.Load() != 0 {
		t.Fatalf("%d messages handled while the partition should not fetch", handled.Load())
	}
	close(release)
	waitFor(t, "zombies to return and fetching to resume", func() bool { return handled.Load() == 12 })
	if e.Live() != nil || testutil.ToFloat64(e.metrics.zombies) != 0 {
		t.Fatalf("after the zombies returned: live %v, zombies %v", e.Live(), testutil.ToFloat64(e.metrics.zombies))
	}
}
