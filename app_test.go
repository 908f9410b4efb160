package consumerkit

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/internal/config"
)

const hangGuard = 2 * time.Minute

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// scrape returns the sum of the samples of metric whose labels contain
// every one of match, from the admin server's /metrics.
func scrape(t *testing.T, base, metric string, match ...string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") {
			continue
		}
		for _, m := range match {
			if !strings.Contains(line, m) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		sum += v
	}
	return sum
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// startApp runs the Wire-built service with cfg until the test ends (or
// stop is called), waits until it is ready, and returns its admin base URL
// and stop, which returns Run's error.
func startApp(t *testing.T, cfg config.Config) (string, func() error) {
	t.Helper()
	application, cleanup, err := InitializeApp(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- application.Run(ctx) }()
	base := "http://" + cfg.Admin.Addr
	waitFor(t, "/readyz 200", func() bool { return status(base+"/readyz") == http.StatusOK })
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		var err error
		select {
		case err = <-done:
		case <-time.After(hangGuard):
			err = fmt.Errorf("Run did not return after the signal")
		}
		cleanup()
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServiceRunsOnEmbeddedBrokerAndShutsDownCleanly is the walking
// skeleton end to end, in process: Wire builds the service, demo orders
// flow through the enricher, probes answer, goroutines stay flat while
// thousands of messages pass, and cancelling the context (the signal) ends
// Run without error and without leaking a goroutine (goleak checks).
func TestServiceRunsOnEmbeddedBrokerAndShutsDownCleanly(t *testing.T) {
	cfg := config.Default()
	cfg.Admin.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.Kafka.Embedded.Port = freePort(t)
	cfg.Demo.Rate = 2000
	cfg.Log.Level = "warn"
	base, stop := startApp(t, cfg)
	if code := status(base + "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	success := func() float64 {
		return scrape(t, base, "kafka_consumer_messages_total", `outcome="success"`, `topic="orders"`, `handler="orders-enricher"`)
	}
	waitFor(t, "1,000 orders processed", func() bool { return success() >= 1000 })
	before := scrape(t, base, "go_goroutines")
	waitFor(t, "5,000 orders processed", func() bool { return success() >= 5000 })
	after := scrape(t, base, "go_goroutines")
	if after > before+10 {
		t.Fatalf("goroutines grew from %v to %v while 4,000 messages passed", before, after)
	}
	if scrape(t, base, "kafka_consumer_commits_total", `result="success"`) < 1 {
		t.Fatal("no successful commit")
	}
	if scrape(t, base, "kafka_consumer_cache_instances", `cache="customers"`) != 1 {
		t.Fatal("want exactly one customer cache for the whole process")
	}
	t.Logf("goroutines %v at 1k messages, %v at 5k", before, after)
	if err := stop(); err != nil {
		t.Fatalf("Run after signal: %v", err)
	}
}

// TestDemoBadOrdersAreDeadLetteredWhileTheRestFlow: with 1% malformed demo
// orders, dead_lettered rises while success keeps rising and liveness
// stays green.
func TestDemoBadOrdersAreDeadLetteredWhileTheRestFlow(t *testing.T) {
	cfg := config.Default()
	cfg.Admin.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.Kafka.Embedded.Port = freePort(t)
	cfg.Demo.Rate, cfg.Demo.BadRate = 2000, 0.01
	cfg.Log.Level = "error"
	base, stop := startApp(t, cfg)
	outcome := func(o string) float64 {
		return scrape(t, base, "kafka_consumer_messages_total", `outcome="`+o+`"`, `topic="orders"`)
	}
	waitFor(t, "dead letters", func() bool { return outcome("dead_lettered") >= 5 })
	dead, ok := outcome("dead_lettered"), outcome("success")
	waitFor(t, "both to keep rising", func() bool { return outcome("dead_lettered") > dead && outcome("success") > ok })
	if status(base+"/healthz") != http.StatusOK {
		t.Fatal("liveness must stay green while bad messages are dead-lettered")
	}
	if failed := outcome("failed"); failed != 0 {
		t.Fatalf("%v messages failed; with a dead-letter topic none should", failed)
	}
	t.Logf("success %v, dead_lettered %v", outcome("success"), outcome("dead_lettered"))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
