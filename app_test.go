package consumerkit

import (
	"net/http"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestServiceRunsEndToEndAndShutsDownCleanly is the walking skeleton end
// to end, in process: Wire builds the service, demo orders flow through
// the enricher, probes answer, the framework's goroutines stay flat at
// every sample while thousands of messages pass, and cancelling the
// context (the signal) ends Run without error and without leaking a
// goroutine (goleak checks). On the embedded broker, or on KAFKA_BROKERS.
func TestServiceRunsEndToEndAndShutsDownCleanly(t *testing.T) {
	cfg := defaultConfig()
	cfg.Demo.Rate = 2000
	cfg.Log.Level = "warn"
	s := startApp(t, cfg)
	if code := status(s.base + "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	metrics := s.metrics
	success := func() float64 { return s.outcome("success") }
	consumertest.Eventually(t, "1,000 orders processed", func() bool { return success() >= 1000 })
	before, most := frameworkGoroutines(), 0
	consumertest.Eventually(t, "5,000 orders processed", func() bool {
		most = max(most, frameworkGoroutines())
		return success() >= 5000
	})
	if most > before+10 {
		t.Fatalf("framework goroutines grew from %d to %d while 4,000 messages passed", before, most)
	}
	if consumertest.CounterValue(t, metrics(), "kafka_consumer_commits_total", map[string]string{"result": "success"}) < 1 {
		t.Fatal("no successful commit")
	}
	if consumertest.GaugeValue(t, metrics(), "kafka_consumer_cache_instances", map[string]string{"cache": "customers"}) != 1 {
		t.Fatal("want exactly one customer cache for the whole process")
	}
	t.Logf("framework goroutines %d at 1k messages, at most %d up to 5k", before, most)
	if err := s.Stop(); err != nil {
		t.Fatalf("Run after signal: %v", err)
	}
}

// TestDemoBadOrdersAreDeadLetteredWhileTheRestFlow: with 1% malformed demo
// orders, dead_lettered rises while success keeps rising and liveness
// stays green.
func TestDemoBadOrdersAreDeadLetteredWhileTheRestFlow(t *testing.T) {
	cfg := defaultConfig()
	cfg.Demo.Rate, cfg.Demo.BadRate = 2000, 0.01
	cfg.Log.Level = "error"
	s := startApp(t, cfg)
	outcome := s.outcome
	consumertest.Eventually(t, "dead letters", func() bool { return outcome("dead_lettered") >= 5 })
	dead, ok := outcome("dead_lettered"), outcome("success")
	consumertest.Eventually(t, "both to keep rising", func() bool { return outcome("dead_lettered") > dead && outcome("success") > ok })
	if status(s.base+"/healthz") != http.StatusOK {
		t.Fatal("liveness must stay green while bad messages are dead-lettered")
	}
	if failed := outcome("failed"); failed != 0 {
		t.Fatalf("%v messages failed; with a dead-letter topic none should", failed)
	}
	t.Logf("success %v, dead_lettered %v", outcome("success"), outcome("dead_lettered"))
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}
