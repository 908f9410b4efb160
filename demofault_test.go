package consumerkit

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/internal/config"
)

// runWithFault starts the whole service with --demo-fault and extra flags
// and YAML (see startApp).
func runWithFault(t *testing.T, fault string, yaml string, flags ...string) (string, func() error) {
	t.Helper()
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--config", file, "--demo-fault", fault, "--admin-addr", admin, "--log-level", "error", "--demo-rate", "1000"}, flags...)
	cfg, err := config.Load("test", config.Source{Args: args, LookupEnv: func(string) (string, bool) { return "", false }, ReadFile: os.ReadFile})
	if err != nil {
		t.Fatal(err)
	}
	return startApp(t, cfg)
}

func healthReason(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// TestDemoFaultDeadlockFailsLivenessAndSavesTheDump (F4): a nested read
// lock against a waiting writer hangs the handler; /healthz turns 503
// naming the handler, and the saved dump shows the goroutines blocked in
// the read/write lock.
func TestDemoFaultDeadlockFailsLivenessAndSavesTheDump(t *testing.T) {
	diag := t.TempDir()
	base, stop := runWithFault(t, "deadlock", "watchdog: {interval: 100ms}\n",
		"--handler-timeout", "500ms", "--stall-timeout", "3s", "--diag-dir", diag)
	var reason string
	waitFor(t, "/healthz 503", func() bool {
		code, body := healthReason(base + "/healthz")
		reason = body
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(reason, "handler orders-enricher") || !strings.Contains(reason, "stalled at offset") {
		t.Fatalf("liveness reason does not name the handler: %s", reason)
	}
	var dump []byte
	waitFor(t, "evidence on disk", func() bool {
		caps, _ := filepath.Glob(filepath.Join(diag, "capture-*", "goroutines.txt"))
		if len(caps) == 0 {
			return false
		}
		dump, _ = os.ReadFile(caps[0])
		return len(dump) > 0
	})
	for _, want := range []string{"sync.(*RWMutex).RLock", "sync.(*RWMutex).Lock", "(*DemoFaults).format"} {
		if !strings.Contains(string(dump), want) {
			t.Fatalf("saved dump lacks %s", want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown after the deadlock: %v", err)
	}
}

// TestDemoFaultLeakIsSuspectedForItsHandler (F2): a cache built per message
// makes the handler's goroutines grow; the watchdog flags it.
func TestDemoFaultLeakIsSuspectedForItsHandler(t *testing.T) {
	base, stop := runWithFault(t, "leak", "watchdog: {leak_interval: 300ms, leak_samples: 3, leak_growth: 20}\n")
	waitFor(t, "leak suspected for orders-enricher", func() bool {
		return scrape(t, base, "kafka_consumer_leak_suspected", `handler="orders-enricher"`) == 1
	})
	if n := scrape(t, base, "kafka_consumer_cache_instances", `cache="customers"`); n < 20 {
		t.Fatalf("cache instances %v: the leak builds one per lookup", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFaultSlowKeepsGoroutinesFlatAndLivenessGreen (F5): a downstream
// that takes 800ms slows consumption: fetching pauses and lag grows, while
// goroutines stay flat and liveness stays green.
func TestDemoFaultSlowKeepsGoroutinesFlatAndLivenessGreen(t *testing.T) {
	base, stop := runWithFault(t, "slow", "", "--demo-rate", "2000")
	waitFor(t, "fetch paused", func() bool { return scrape(t, base, "kafka_consumer_fetch_paused") >= 1 })
	g1, lag1 := scrape(t, base, "go_goroutines"), scrape(t, base, "kafka_consumer_lag")
	waitFor(t, "lag to grow", func() bool { return scrape(t, base, "kafka_consumer_lag") > lag1+500 })
	if g2 := scrape(t, base, "go_goroutines"); g2 > g1+10 {
		t.Fatalf("goroutines grew from %v to %v under a slow downstream", g1, g2)
	}
	if code, body := healthReason(base + "/healthz"); code != http.StatusOK {
		t.Fatalf("slow is not stalled, yet /healthz says %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFaultBatchStallIsFlushedByLinger (F1): a batch stage the traffic
// can never fill is flushed by its linger deadline; nothing stalls.
func TestDemoFaultBatchStallIsFlushedByLinger(t *testing.T) {
	base, stop := runWithFault(t, "batchstall", "")
	flushes := func(reason string) float64 {
		return scrape(t, base, "kafka_consumer_batch_flushes_total", `reason="`+reason+`"`)
	}
	waitFor(t, "linger flushes", func() bool { return flushes("linger") >= 10 })
	ok := scrape(t, base, "kafka_consumer_messages_total", `outcome="success"`)
	waitFor(t, "messages to keep flowing", func() bool {
		return scrape(t, base, "kafka_consumer_messages_total", `outcome="success"`) > ok+500
	})
	if flushes("size") != 0 {
		t.Fatalf("%v size flushes: the batch stage must be one that never fills", flushes("size"))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFaultErrorPathStillRecordsEveryOutcome (F3): malformed orders
// take the handler's early return, skipping its cleanup; the framework
// still records each one (dead-lettered) and the rest flow.
func TestDemoFaultErrorPathStillRecordsEveryOutcome(t *testing.T) {
	base, stop := runWithFault(t, "errorpath", "")
	outcome := func(o string) float64 {
		return scrape(t, base, "kafka_consumer_messages_total", `outcome="`+o+`"`, `topic="orders"`)
	}
	waitFor(t, "dead letters and successes", func() bool { return outcome("dead_lettered") >= 5 && outcome("success") >= 500 })
	if outcome("failed") != 0 {
		t.Fatalf("%v failed", outcome("failed"))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
