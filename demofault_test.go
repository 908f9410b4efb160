package consumerkit

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// runWithFault starts the whole service (see startApp) with --demo-fault,
// the YAML file, logging at error level, 1,000 demo orders a second, and
// then flags, which override any of those.
func runWithFault(t *testing.T, fault string, yaml string, flags ...string) *runningApp {
	t.Helper()
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config", file, "--demo-fault", fault, "--log-level", "error", "--demo-rate", "1000"}, flags...)
	settings := service.DefaultSettings()
	cfg, err := config.Load("test", config.Source{Args: args, LookupEnv: func(string) (string, bool) { return "", false }, ReadFile: os.ReadFile}, settings)
	if err != nil {
		t.Fatal(err)
	}
	return startApp(t, appConfig{Config: cfg, Settings: *settings})
}

// TestDemoFaultDeadlockFailsLivenessAndSavesTheDump (F4): a nested read
// lock against a waiting writer hangs the handler; /healthz turns 503
// naming the handler, and the saved dump shows the goroutines blocked in
// the read/write lock.
func TestDemoFaultDeadlockFailsLivenessAndSavesTheDump(t *testing.T) {
	diag := t.TempDir()
	s := runWithFault(t, "deadlock", "watchdog: {interval: 100ms}\n",
		"--handler-timeout", "500ms", "--stall-timeout", "3s", "--diag-dir", diag)
	var reason string
	consumertest.Eventually(t, "/healthz 503", func() bool {
		code, body := get(s.base + "/healthz")
		reason = body
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(reason, "handler orders-enricher") || !strings.Contains(reason, "stalled at offset") {
		t.Fatalf("liveness reason does not name the handler: %s", reason)
	}
	var dump []byte
	consumertest.Eventually(t, "evidence on disk", func() bool {
		caps, _ := filepath.Glob(filepath.Join(diag, "capture-*", "goroutines.txt"))
		if len(caps) == 0 {
			return false
		}
		dump, _ = os.ReadFile(caps[0])
		return len(dump) > 0
	})
	for _, want := range []string{"sync.(*RWMutex).RLock", "sync.(*RWMutex).Lock", "(*rotatingLog).format"} {
		if !strings.Contains(string(dump), want) {
			t.Fatalf("saved dump lacks %s", want)
		}
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("shutdown after the deadlock: %v", err)
	}
}

// TestDemoFaultLeakIsSuspectedForItsHandler (F2): a cache built per
// message makes the handler's goroutines grow; the watchdog flags it, and
// its warning (at warn level, as an operator sees it) names ccache's
// worker as where most of them are.
func TestDemoFaultLeakIsSuspectedForItsHandler(t *testing.T) {
	s := runWithFault(t, "leak", "watchdog: {leak_interval: 300ms, leak_samples: 3, leak_growth: 20}\n", "--log-level", "warn")
	consumertest.Eventually(t, "leak suspected for orders-enricher", func() bool {
		return consumertest.Sum(t, s.metrics(), "kafka_consumer_leak_suspected", enricherLabel()) == 1
	})
	if n := consumertest.GaugeValue(t, s.metrics(), "kafka_consumer_cache_instances", map[string]string{"cache": "customers"}); n < 20 {
		t.Fatalf("cache instances %v: the leak builds one per lookup", n)
	}
	const msg = "goroutine leak suspected: a handler's goroutines keep growing"
	var warning map[string]any
	consumertest.Eventually(t, "the leak warning", func() bool {
		for _, e := range s.logs.withMessage(msg) {
			if e["handler"] == "orders-enricher" {
				warning = e
				return true
			}
		}
		return false
	})
	where, _ := warning["where_most_are"].([]any)
	named := slices.ContainsFunc(where, func(f any) bool { fn, _ := f.(string); return isCcacheWorker(fn) })
	if warning["level"] != "warn" || !named {
		t.Fatalf("the leak warning must be a warning naming ccache's worker, got %v", warning)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFaultSlowKeepsGoroutinesFlatAndLivenessGreen (F5): a downstream
// that takes 800ms slows consumption: fetching pauses and lag grows. At
// every sample through the growing backlog (every 250ms from the first
// pause, at least 20 samples and until the reported lag has grown by
// 1,000; lag is learnt at fetches, so it grows in steps while fetching is
// paused) the framework's goroutines stay within 10 of their baseline, the
// messages in flight within max_inflight per partition, and liveness
// green. The baseline is the most seen in the first settle samples (4s)
// after the first pause: kafka-go starts a writer goroutine for each
// partition, and a connection, the first time it writes there, and with
// an 800ms write the output's partitions are first written over a
// second or two. A goroutine per message would add thousands.
func TestDemoFaultSlowKeepsGoroutinesFlatAndLivenessGreen(t *testing.T) {
	s := runWithFault(t, "slow", "", "--demo-rate", "2000")
	onTopic := map[string]string{"topic": s.topic}
	bound := float64(s.cfg.Kafka.Embedded.Partitions * s.cfg.Kafka.MaxInflight)
	consumertest.Eventually(t, "fetch paused", func() bool { return consumertest.Sum(t, s.metrics(), "kafka_consumer_fetch_paused", onTopic) >= 1 })
	const settle = 16
	first, lag0 := frameworkGoroutines(), consumertest.Sum(t, s.metrics(), "kafka_consumer_lag", onTopic)
	most, mostInflight, samples := first, 0.0, 0
	deadline := time.Now().Add(consumertest.Patience)
	for lag := lag0; samples < settle+20 || lag < lag0+1000; lag = consumertest.Sum(t, s.metrics(), "kafka_consumer_lag", onTopic) {
		if time.Now().After(deadline) {
			t.Fatalf("lag grew only from %v to %v in %s", lag0, lag, consumertest.Patience)
		}
		samples++
		g, inflight := frameworkGoroutines(), consumertest.Sum(t, s.metrics(), "kafka_consumer_inflight_messages", map[string]string{"topic": s.topic, "handler": service.OrdersEnricherName})
		most, mostInflight = max(most, g), max(mostInflight, inflight)
		if samples <= settle {
			first = max(first, g)
		}
		if g > first+10 {
			t.Fatalf("sample %d: framework goroutines grew from %d to %d under a slow downstream", samples, first, g)
		}
		if inflight > bound {
			t.Fatalf("sample %d: %v messages in flight, bound %v", samples, inflight, bound)
		}
		if code, body := get(s.base + "/healthz"); code != http.StatusOK {
			t.Fatalf("sample %d: slow is not stalled, yet /healthz says %d %s", samples, code, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("%d samples: framework goroutines %d settled after the first pause, at most %d; in flight at most %v (bound %v); lag %v -> %v",
		samples, first, most, mostInflight, bound, lag0, consumertest.Sum(t, s.metrics(), "kafka_consumer_lag", onTopic))
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFaultBatchStallIsFlushedByLinger (F1): a batch stage the traffic
// can never fill is flushed by its linger deadline; nothing stalls. The
// demo producer sends 3,000 orders a second, 150 per partition per linger:
// enough to fill the example's batches of 100, not batchstall's.
func TestDemoFaultBatchStallIsFlushedByLinger(t *testing.T) {
	s := runWithFault(t, "batchstall", "", "--demo-rate", "3000")
	flushes := func(reason string) float64 {
		return consumertest.CounterValue(t, s.metrics(), "kafka_consumer_batch_flushes_total", map[string]string{"handler": service.OrdersEnricherName, "reason": reason})
	}
	consumertest.Eventually(t, "3,000 orders through", func() bool { return s.outcome("success") >= 3000 })
	if size, linger := flushes("size"), flushes("linger"); size != 0 || linger == 0 {
		t.Fatalf("%v size flushes, %v linger flushes: the batch stage must be one that never fills, flushed by linger", size, linger)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFaultErrorPathStillRecordsEveryOutcome (F3): malformed orders
// take the handler's early return, skipping the release of their request
// objects; the framework still records each one. With the demo producer
// off and exactly n orders produced, every order has exactly one outcome:
// dead_lettered equals the malformed ones, success or retried the rest,
// nothing else. And the requests left open show where the framework
// looks: kafka_consumer_goroutines attributes at least one goroutine per
// malformed order to the handler.
func TestDemoFaultErrorPathStillRecordsEveryOutcome(t *testing.T) {
	const n = 3000
	s := runWithFault(t, "errorpath", "watchdog: {leak_interval: 200ms}\n", "--demo-rate", "0")
	bad := s.produceOrders(n)
	if bad == 0 || bad == n {
		t.Fatalf("%d of %d orders malformed: the test needs both kinds", bad, n)
	}
	// Every value of the outcome label, as the README lists them.
	outcomes := []string{"success", "retried", "dead_lettered", "failed", "rescheduled"}
	all := func() float64 {
		var sum float64
		for _, o := range outcomes {
			sum += s.outcome(o)
		}
		return sum
	}
	consumertest.Eventually(t, "an outcome for every order", func() bool { return all() >= n })
	got := map[string]float64{}
	for _, o := range outcomes {
		got[o] = s.outcome(o)
	}
	if all() != n || got["dead_lettered"] != float64(bad) || got["success"]+got["retried"] != float64(n-bad) {
		t.Fatalf("outcomes %v for %d orders of which %d malformed: want dead_lettered %d, success+retried %d, nothing else",
			got, n, bad, bad, n-bad)
	}
	consumertest.Eventually(t, "the open requests counted for the handler", func() bool {
		return consumertest.Sum(t, s.metrics(), "kafka_consumer_goroutines", enricherLabel()) >= float64(bad)
	})
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFaultPanicIsRecoveredCountedAndRetried: the handler panics, deep
// in a call stack, on the first attempt of every batch holding an order
// whose number is a multiple of 1,000. With the demo producer off and
// exactly n orders produced, each such panic is recovered and counted
// once (kafka_consumer_handler_panics_total), its batch retried, and
// every order ends in success or retried: none dead-lettered, none
// failed.
func TestDemoFaultPanicIsRecoveredCountedAndRetried(t *testing.T) {
	const n = 3000
	s := runWithFault(t, "panic", "", "--demo-rate", "0")
	orders, chosen := service.NewDemoOrders(s.cfg.Service), 0
	for seq := range uint64(n) {
		if _, v := orders.Next(seq); service.PanicsOn(v) {
			chosen++
		}
	}
	if chosen != n/1000 {
		t.Fatalf("%d of %d demo orders chosen to panic, want %d", chosen, n, n/1000)
	}
	if bad := s.produceOrders(n); bad != 0 {
		t.Fatalf("%d malformed orders: the demo share must be 0 under the panic fault", bad)
	}
	consumertest.Eventually(t, "an outcome for every order", func() bool { return s.outcome("success")+s.outcome("retried") >= n })
	panics := consumertest.Sum(t, s.metrics(), "kafka_consumer_handler_panics_total", enricherLabel())
	if panics != float64(chosen) || s.outcome("retried") < float64(chosen) || s.outcome("dead_lettered") != 0 || s.outcome("failed") != 0 ||
		s.outcome("success")+s.outcome("retried") != n {
		t.Fatalf("%v panics, outcomes success %v retried %v dead_lettered %v failed %v; want %d panics, every order success or retried (at least %d retried), none lost",
			panics, s.outcome("success"), s.outcome("retried"), s.outcome("dead_lettered"), s.outcome("failed"), chosen, chosen)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// enricherLabel selects the example handler's series.
func enricherLabel() map[string]string {
	return map[string]string{"handler": service.OrdersEnricherName}
}
