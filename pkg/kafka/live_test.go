package kafka

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestLivenessStateAndMetricsReadOneStatus: lag, stall and block of a
// live partition are what liveness, /debug/consumer (State) and the live
// metrics all report, for a partition that is stalled, then blocked by a
// failing letter write, then unusable; once its run ends it is gone from
// all three. (One function of about 100 lines: the four steps are one
// partition's life, each building on the state the step before left.)
func TestLivenessStateAndMetricsReadOneStatus(t *testing.T) {
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return nil }))
	r := newRig(t, testConfig(nil), registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(1)}, handlers)
	p := r.p
	hourAgo := time.Now().Add(-time.Hour)
	if !p.window.tryAdmit(10, 100, hourAgo.UnixNano()) {
		t.Fatal("window full")
	}
	p.position.Store(10)
	p.highWater.Store(25)
	metric := func(name, reason string) float64 {
		t.Helper()
		labels := map[string]string{"topic": "t", "partition": "0"}
		if reason != "" {
			labels["reason"] = reason
		}
		if strings.HasSuffix(name, "_inflight_messages") || strings.HasSuffix(name, "_age_seconds") {
			labels = map[string]string{"topic": "t", "handler": "h"}
		}
		v, ok := gauge(t, r.reg, name, labels)
		if !ok {
			t.Fatalf("%s %v not reported", name, labels)
		}
		return v
	}
	state := func() PartitionState {
		t.Helper()
		st := r.e.State()
		if len(st.Partitions) != 1 {
			t.Fatalf("state has %d partitions, want 1", len(st.Partitions))
		}
		return st.Partitions[0]
	}

	// Stalled: held for an hour by nothing the engine can name.
	ps := state()
	if ps.Lag != 15 || ps.CommittedOffset != 10 || ps.HighWater != 25 || !ps.Stalled || ps.InFlight != 1 || ps.OldestOffset != 10 || ps.OldestAgeSeconds < 3599 || ps.HeldSeconds < 3599 {
		t.Fatalf("stalled partition's state %+v", ps)
	}
	if lag, committed, stalled, inflight, age := metric("kafka_consumer_lag", ""), metric("kafka_consumer_committed_offset", ""),
		metric("kafka_consumer_stalled", ""), metric("kafka_consumer_inflight_messages", ""), metric("kafka_consumer_oldest_inflight_age_seconds", ""); lag != 15 || committed != 10 || stalled != 1 || inflight != 1 || age < 3599 {
		t.Fatalf("stalled partition's metrics: lag %v, committed %v, stalled %v, in flight %v, oldest age %v", lag, committed, stalled, inflight, age)
	}
	if err := r.e.Live(); err == nil || !strings.Contains(err.Error(), "t/0 stalled at offset 10: handler h") {
		t.Fatalf("Live() = %v", err)
	}

	// Blocked: a letter write for the held message fails. Not stalled.
	r.w.block.state.Store(&blockedState{reason: blockedDeadLetterRejected, letterTopic: "t.dlq", offset: 10, first: 10, last: 10,
		since: hourAgo, failures: 3, err: errors.New("message too large")})
	ps = state()
	if ps.Stalled || ps.Blocked == nil || ps.Blocked.Reason != blockedDeadLetterRejected || ps.Blocked.FailedWrites != 3 {
		t.Fatalf("blocked partition's state %+v (blocked %+v)", ps, ps.Blocked)
	}
	for _, reason := range blockedReasons {
		want := 0.0
		if reason == blockedDeadLetterRejected {
			want = 1
		}
		if v := metric("kafka_consumer_partition_blocked", reason); v != want {
			t.Fatalf("kafka_consumer_partition_blocked{reason=%s} = %v, want %v", reason, v, want)
		}
	}
	if v := metric("kafka_consumer_stalled", ""); v != 0 {
		t.Fatalf("kafka_consumer_stalled = %v while blocked", v)
	}
	if err := r.e.Live(); err != nil {
		t.Fatalf("a blocked partition failed liveness: %v", err)
	}
	if err := r.e.Blocked(); err == nil || !strings.Contains(err.Error(), "t/0 blocked at offset 10") {
		t.Fatalf("Blocked() = %v", err)
	}

	// Unusable: liveness fails and the stalled gauge says so.
	reason := "cannot position the partition reader"
	p.unusable.Store(&reason)
	if ps := state(); ps.Unusable != reason || ps.Stalled {
		t.Fatalf("unusable partition's state %+v", ps)
	}
	if v := metric("kafka_consumer_stalled", ""); v != 1 {
		t.Fatalf("kafka_consumer_stalled = %v for an unusable partition", v)
	}
	if err := r.e.Live(); err == nil || !strings.Contains(err.Error(), "t/0 cannot be consumed: "+reason) {
		t.Fatalf("Live() = %v", err)
	}

	// The run ends: the partition leaves the engine's registry.
	r.e.live.remove(p)
	if st := r.e.State(); len(st.Partitions) != 0 {
		t.Fatalf("state after the run ended: %+v", st.Partitions)
	}
	if _, ok := gauge(t, r.reg, "kafka_consumer_lag", map[string]string{"topic": "t"}); ok {
		t.Fatal("the lag of a partition no longer owned is still reported")
	}
	if err := r.e.Live(); err != nil {
		t.Fatalf("Live() after the run ended: %v", err)
	}
}
