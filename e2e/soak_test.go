//go:build e2e && soak

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/e2e/soak"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// soakSettings are the soak's knobs, from the environment (README "Soak").
type soakSettings struct {
	brokers        string
	duration       time.Duration // SOAK_DURATION, default 60m
	rebalanceEvery time.Duration // SOAK_REBALANCE_EVERY, default 5m
	sampleEvery    time.Duration // SOAK_SAMPLE_EVERY, default 10s
	rate           int           // SOAK_RATE, orders a second, default 2000
	fault          string        // SOAK_FAULT, the demo fault, default panic
	out            string        // SOAK_OUT, default .cache/soak/<time>
	admin          [2]string     // SOAK_ADMIN_ADDRS, the two instances' admin addresses, default 127.0.0.1:0 each
}

func soakSettingsFromEnv(t *testing.T) soakSettings {
	t.Helper()
	s := soakSettings{brokers: os.Getenv("KAFKA_BROKERS"), duration: time.Hour, rebalanceEvery: 5 * time.Minute,
		sampleEvery: 10 * time.Second, rate: 2000, fault: "panic", admin: [2]string{"127.0.0.1:0", "127.0.0.1:0"},
		out: filepath.Join("..", ".cache", "soak", time.Now().Format("20060102-150405"))}
	if s.brokers == "" {
		t.Fatal("KAFKA_BROKERS is not set: start a broker with `make kafka-up` and run `make soak`")
	}
	for env, d := range map[string]*time.Duration{"SOAK_DURATION": &s.duration, "SOAK_REBALANCE_EVERY": &s.rebalanceEvery, "SOAK_SAMPLE_EVERY": &s.sampleEvery} {
		if v := os.Getenv(env); v != "" {
			var err error
			if *d, err = time.ParseDuration(v); err != nil || *d <= 0 {
				t.Fatalf("%s=%q: want a positive duration", env, v)
			}
		}
	}
	if v := os.Getenv("SOAK_RATE"); v != "" {
		var err error
		if s.rate, err = strconv.Atoi(v); err != nil || s.rate <= 0 {
			t.Fatalf("SOAK_RATE=%q: want orders a second", v)
		}
	}
	if v, ok := os.LookupEnv("SOAK_FAULT"); ok {
		s.fault = v
	}
	if v := os.Getenv("SOAK_OUT"); v != "" {
		s.out = v
	}
	if v := os.Getenv("SOAK_ADMIN_ADDRS"); v != "" {
		a := strings.Split(v, ",")
		if len(a) != 2 {
			t.Fatalf("SOAK_ADMIN_ADDRS=%q: want two addresses, comma-separated", v)
		}
		s.admin = [2]string{a[0], a[1]}
	}
	if s.duration < 8*s.sampleEvery*2 {
		t.Fatalf("SOAK_DURATION %v is too short for samples every %v: the growth rule needs 16 samples or more", s.duration, s.sampleEvery)
	}
	return s
}

// soakPartitions is the input topic's partition count: the measured
// instance owns all 6 alone and 3 while the second instance is in the
// group.
const soakPartitions = 6

// soakCache is the customer cache under churn: 2,000 of the 99,999
// customers, each for 10s. The regulars (half the orders, see soakOrder)
// hit; the rest miss, about 1,000 new customers a second, so the cache
// evicts all the time.
const soakCache = "cache: {max_items: 2000, items_to_prune: 200, ttl: 10s}\n"

// TestSoak runs the consumer binary for SOAK_DURATION against the real
// broker of KAFKA_BROKERS: SOAK_RATE (2,000) orders a second, 1% poison
// and 0.1% that make the handler panic once (the panic demo fault), its
// customer cache far smaller than the customers, and every
// SOAK_REBALANCE_EVERY a second instance joining the group or leaving it.
// It samples the first instance, which runs throughout, every 10s (RSS,
// heap in use, goroutines, open descriptors), writes the samples as CSV
// and PNG, and fails if any series grows over the last half
// (soak.Trend.Grows). Then it stops the producer, lets the service drain,
// stops it (SIGTERM, exit 0), reads the output and dead-letter topics
// back and fails if any order is lost or in the wrong place.
// (Long: one run, each phase depending on the one before.)
func TestSoak(t *testing.T) {
	s := soakSettingsFromEnv(t)
	if err := os.MkdirAll(s.out, 0o755); err != nil {
		t.Fatal(err)
	}
	run := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().Unix())
	in := "soak-" + run
	broker := strings.Split(s.brokers, ",")[0]
	createSoakTopics(t, broker, soakPartitions, in, in+".enriched", in+".dlq")
	cfg := filepath.Join(s.out, "consumer.yaml")
	writeSoakConfig(t, cfg, run, in, s.fault)
	bin := buildBinary(t)
	t.Logf("soak %s: %v at %d orders/s, a rebalance every %v, fault %q; output in %s", run, s.duration, s.rate, s.rebalanceEvery, s.fault, s.out)

	first := startSoakInstance(t, "instance-1", bin, cfg, s.brokers, s.admin[0], filepath.Join(s.out, "instance-1.log"))
	consumertest.Eventually(t, "instance-1 ready", func() bool { return soakStatus("http://"+first.admin+"/readyz") == http.StatusOK })

	feed := newSoakFeed(run, s.rate, strings.Split(s.brokers, ","), in)
	ctx, stopAll := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stopAll(); wg.Wait() }) // when a phase fails the test
	wg.Go(func() { feed.run(ctx) })
	var phase soakPhase
	var samples []soak.Sample
	var sampleErrs []error
	wg.Go(func() { samples, sampleErrs = sampleSoak(ctx, first, s.sampleEvery, &phase) })
	toggles := rebalanceSoak(t, s, bin, cfg, first, &phase)
	stopAll()
	wg.Wait()
	if err := feed.close(); err != nil {
		t.Errorf("close the producer: %v", err)
	}
	produced, perSecond, behind, unsure, feedErr := feed.report()
	t.Logf("produced %d orders: %.0f a second (target %d), at most %v behind schedule", produced, perSecond, s.rate, behind.Round(time.Millisecond))
	if feedErr != nil {
		t.Errorf("producer: %v", feedErr)
	}
	if perSecond < 0.9*float64(s.rate) {
		t.Errorf("the producer sustained %.0f orders a second, below 90%% of %d: the run did not carry the load it claims", perSecond, s.rate)
	}

	judgeSoakSamples(t, s.out, samples, sampleErrs)
	checkSoakFigures(t, drainSoak(t, first, in), s.fault, toggles)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	accountSoak(t, broker, run, in, produced, unsure, toggles)
}

// writeSoakConfig writes the instances' configuration: the example's
// orders-enricher on the run's topics, in batches, dead letters on, the
// demo fault allowed on the real broker, the cache under churn. Logs stay
// at info, the default: the admin server's address is read from them.
func writeSoakConfig(t *testing.T, path, run, in, fault string) {
	t.Helper()
	cfg := fmt.Sprintf(`kafka:
  group_id: soak-%s
  subscriptions:
    - topic: %s
      handler: orders-enricher
      ordering: partition
      batch: {size: 100, linger: 200ms}
      dead_letter: {enabled: true}
service:
  input_topic: %s
  output_topic: %s.enriched
  customers: 99999
  demo_fault: %q
  allow_demo_fault: true
%s`, run, in, in, in, fault, soakCache)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}
