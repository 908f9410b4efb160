package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/internal/message"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
)

func newTestRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

func TestTrackerCommitsOnlyContiguousDoneOffsets(t *testing.T) {
	tr := newOffsetTracker()
	for _, o := range []int64{10, 11, 13, 14} { // 12 is a gap, as after compaction
		tr.Add(o)
	}
	if _, ok := tr.Committable(); ok {
		t.Fatal("nothing done yet")
	}
	tr.Done(11)
	if _, ok := tr.Committable(); ok {
		t.Fatal("11 done but 10 is not: nothing is committable")
	}
	tr.Done(10)
	if off, _ := tr.Committable(); off != 12 {
		t.Fatalf("committable %d, want 12", off)
	}
	tr.Done(14)
	if off, _ := tr.Committable(); off != 12 || tr.InFlight() != 1 {
		t.Fatalf("committable %d inflight %d", off, tr.InFlight())
	}
	tr.Done(13)
	if off, _ := tr.Committable(); off != 15 || tr.InFlight() != 0 {
		t.Fatalf("committable %d inflight %d, want 15 and 0", off, tr.InFlight())
	}
}

func TestTrackerMemoryStaysProportionalToInFlight(t *testing.T) {
	tr := newOffsetTracker()
	for o := range int64(100_000) {
		tr.Add(o)
		tr.Done(o)
	}
	if len(tr.pending) > 200 {
		t.Fatalf("tracker holds %d entries with nothing in flight", len(tr.pending))
	}
	if off, _ := tr.Committable(); off != 100_000 {
		t.Fatalf("committable %d", off)
	}
}

func TestTrackerRejectsMisuse(t *testing.T) {
	for name, f := range map[string]func(*offsetTracker){
		"out of order add": func(tr *offsetTracker) { tr.Add(5); tr.Add(4) },
		"unknown done":     func(tr *offsetTracker) { tr.Add(5); tr.Done(6) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("misuse not detected")
				}
			}()
			f(newOffsetTracker())
		})
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Brokers = []string{"nohost", "h:99999"}
	cfg.GroupID = ""
	cfg.DrainTimeout = time.Minute // not below the rebalance timeout
	cfg.MaxInflight = 0
	cfg.Subscriptions = append(cfg.Subscriptions, Subscription{Topic: "orders", Handler: "", Ordering: "key", Batch: BatchConfig{Size: 5}})
	cfg.SASL = SASLConfig{Mechanism: "GSSAPI"}
	errs := cfg.Validate()
	text := ""
	for _, e := range errs {
		text += e.Error() + "\n"
	}
	for _, want := range []string{
		`"nohost" is not host:port`, `"h:99999" has an invalid port`, "group_id must not be empty",
		"drain_timeout (1m0s) must be less than kafka.rebalance_timeout", "max_inflight must be >= 1",
		`"orders" is subscribed twice`, "[1].handler must not be empty", "workers must be between 1 and 1024 for ordering key",
		"batches need ordering partition",
		"batch.linger must be > 0", `mechanism "GSSAPI"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatalf("default config invalid: %v", errs)
	}
}

func TestBackoffGrowsAndStaysWithinBounds(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, 2*time.Second
	cfg := DefaultConfig()
	cfg.RetryBackoff, cfg.MaxRetryBackoff = base, maxDelay
	for attempt := 1; attempt <= 40; attempt++ {
		d := cfg.blockingRetry().Delay(attempt)
		ceiling := min(base<<min(attempt-1, 30), maxDelay)
		if d < ceiling/2 || d > ceiling {
			t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, ceiling/2, ceiling)
		}
	}
}

func TestRedactedHidesPassword(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SASL = SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "p"}
	if r := cfg.Redacted(); r.SASL.Password != "REDACTED" || cfg.SASL.Password != "p" {
		t.Fatalf("redaction wrong: %q / %q", r.SASL.Password, cfg.SASL.Password)
	}
}

func TestLimiterAcquireWaitsForReleaseOrContext(t *testing.T) {
	l := newInflightLimiter(1, 1<<20)
	if err := l.acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- l.acquire(context.Background(), 1) }()
	select {
	case err := <-got:
		t.Fatalf("acquire returned %v while full", err)
	case <-time.After(20 * time.Millisecond):
	}
	l.release(1)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.acquire(ctx, 1); err == nil {
		t.Fatal("acquire on a full limiter with a cancelled context must fail")
	}
}

func TestKeyRoutingIsStableAndSpreads(t *testing.T) {
	sub := &subscription{Subscription: Subscription{Ordering: OrderingKey, Workers: 8}}
	l := newLanes(sub, 100)
	used := map[chan<- *message.Message]bool{}
	for i := range 1000 {
		key := []byte(strconv.Itoa(i % 50))
		a, b := l.route(&message.Message{Key: key}), l.route(&message.Message{Key: key})
		if a != b {
			t.Fatal("one key routed to two lanes")
		}
		used[a] = true
	}
	if len(used) < 6 {
		t.Fatalf("50 keys used only %d of 8 lanes", len(used))
	}
}

func TestTemporaryLooksInsideWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"retriable", fmt.Errorf("write: %w", kafkago.UnknownTopicOrPartition), true},
		{"fatal", kafkago.MessageSizeTooLarge, false},
		{"batch of retriable", kafkago.WriteErrors{nil, kafkago.LeaderNotAvailable, kafkago.UnknownTopicOrPartition}, true},
		{"batch with a fatal one", kafkago.WriteErrors{kafkago.LeaderNotAvailable, kafkago.MessageSizeTooLarge}, false},
		{"not kafka", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := temporary(tt.err); got != tt.want {
				t.Fatalf("temporary(%v) = %v", tt.err, got)
			}
		})
	}
}
