//go:build e2e && soak

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/e2e/soak"
	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// soakStatus is the status of a GET of url, 0 when nothing answers.
func soakStatus(url string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close() // only the status is read
	return resp.StatusCode
}

// soakSettle is how long after a join or leave the soak takes no sample:
// the group rebalances and the first instance's partitions change hands
// over a few seconds, and a sample taken meanwhile belongs to neither
// phase.
const soakSettle = 15 * time.Second

// soakPhase is whether the second instance is in the group, and since
// when.
type soakPhase struct {
	paired atomic.Bool
	since  atomic.Int64 // UnixNano of the last join or leave
}

func (p *soakPhase) set(paired bool) {
	p.paired.Store(paired)
	p.since.Store(time.Now().UnixNano())
}

// settled reports the phase, and false while it changed less than
// soakSettle ago.
func (p *soakPhase) settled() (paired, ok bool) {
	return p.paired.Load(), time.Since(time.Unix(0, p.since.Load())) >= soakSettle
}

// sampleSoak samples in at once and then every interval until ctx ends;
// each sample records whether the second instance was in the group.
// Samples within soakSettle of a join or leave are not kept.
func sampleSoak(ctx context.Context, in *soakInstance, every time.Duration, phase *soakPhase) ([]soak.Sample, []error) {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	probe := soak.Probe{PID: in.cmd.Process.Pid, MetricsURL: in.metricsURL(), Client: client}
	t := time.NewTicker(every)
	defer t.Stop()
	var (
		samples []soak.Sample
		errs    []error
	)
	start := time.Now()
	for {
		at, p, ok := time.Since(start), false, false
		if p, ok = phase.settled(); ok {
			v, err := probe.Take(ctx)
			after, still := phase.settled()
			switch {
			case err != nil && ctx.Err() != nil: // the run ended during the scrape
			case err != nil:
				errs = append(errs, fmt.Errorf("sample at %v: %w", at.Round(time.Second), err))
			case still && after == p: // not taken across a join or leave
				samples = append(samples, soak.Sample{Elapsed: at, Paired: p, Values: v})
			}
		}
		select {
		case <-ctx.Done():
			return samples, errs
		case <-t.C:
		}
	}
}

// rebalanceSoak runs the soak for its duration, starting a second
// instance in the group at every rebalanceEvery and stopping it at the
// next, and returns how many times one joined or left. A second instance
// that does not exit 0 on SIGTERM fails the test; so does the first
// instance exiting.
func rebalanceSoak(t *testing.T, s soakSettings, bin, cfg string, first *soakInstance, phase *soakPhase) int {
	t.Helper()
	end := time.After(s.duration)
	tick := time.NewTicker(s.rebalanceEvery)
	defer tick.Stop()
	var second *soakInstance
	toggles := 0
	for {
		select {
		case <-end:
			if second != nil {
				phase.set(false)
				if err := second.stop(); err != nil {
					t.Error(err)
				}
				toggles++
			}
			return toggles
		case <-first.exited:
			t.Fatalf("instance-1 exited during the soak (%v); log %s:\n%s", first.cmd.ProcessState, first.logPath, first.tail())
		case <-tick.C:
		}
		toggles++
		if second == nil {
			second = startSoakInstance(t, "instance-2", bin, cfg, s.brokers, s.admin[1], filepath.Join(s.out, fmt.Sprintf("instance-2-%d.log", toggles)))
			phase.set(true)
			t.Logf("%v: instance-2 joined", time.Now().Format(time.TimeOnly))
			continue
		}
		phase.set(false)
		if err := second.stop(); err != nil {
			t.Error(err)
		}
		second = nil
		t.Logf("%v: instance-2 left", time.Now().Format(time.TimeOnly))
	}
}

// judgeSoakSamples writes the samples as CSV and PNG, prints their paths,
// and fails the test for each series that grows (soak.Trend.Grows), or
// when more than a tenth of the samples could not be taken.
func judgeSoakSamples(t *testing.T, out string, samples []soak.Sample, errs []error) {
	t.Helper()
	if len(errs) > 0 {
		t.Logf("%d samples failed, the first: %v", len(errs), errs[0])
		if len(errs)*10 > len(samples)+len(errs) {
			t.Errorf("%d of %d samples failed", len(errs), len(samples)+len(errs))
		}
	}
	var trends [soak.NumSeries]soak.Trend
	var growing []string
	for i := range soak.NumSeries {
		tr, err := soak.LastHalfTrend(samples, i)
		if err != nil {
			t.Fatalf("%s: %v", soak.SeriesName(i), err)
		}
		trends[i] = tr
		first, last := samples[0].Values[i], samples[len(samples)-1].Values[i]
		t.Logf("%-17s %s (first %.4g, last %.4g)", soak.SeriesName(i), tr, first, last)
		if tr.Grows() {
			growing = append(growing, soak.SeriesName(i))
		}
	}
	csvPath, pngPath := filepath.Join(out, "samples.csv"), filepath.Join(out, "samples.png")
	if err := soak.WriteCSV(csvPath, samples); err != nil {
		t.Error(err)
	}
	if err := soak.WritePNG(pngPath, samples, trends); err != nil {
		t.Error(err)
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	t.Logf("samples: %s\nchart:   %s (panels top to bottom: RSS, heap in use, goroutines, open descriptors)", abs(csvPath), abs(pngPath))
	if len(growing) > 0 {
		t.Errorf("growing over the last half (t > %.1f, more than %.0f%% of the mean and more than 20 goroutines or 8 descriptors): %v",
			soak.TCritical, 100*soak.MinRelativeGrowth, growing)
	}
}

// soakFigures are the measured instance's counters at the end of the run.
type soakFigures struct {
	panics, hits, misses, items, rebalances float64
}

// drainSoak waits until the first instance, alone in the group, has
// committed every order (lag 0 on every partition, nothing in flight),
// and returns its figures.
func drainSoak(t *testing.T, in *soakInstance, topic string) soakFigures {
	t.Helper()
	onTopic := map[string]string{"topic": topic}
	consumertest.Eventually(t, "instance-1 to own every partition with lag 0 and nothing in flight", func() bool {
		if !in.running() {
			t.Fatalf("instance-1 exited while draining; log %s:\n%s", in.logPath, in.tail())
		}
		m := consumertest.Scrape(t, in.metricsURL())
		lags := consumertest.Samples(t, m, "kafka_consumer_lag", onTopic)
		return len(lags) == soakPartitions && consumertest.Sum(t, m, "kafka_consumer_lag", onTopic) == 0 &&
			consumertest.Sum(t, m, "kafka_consumer_inflight_messages", onTopic) == 0
	})
	m := consumertest.Scrape(t, in.metricsURL())
	cache := func(result string) float64 {
		return consumertest.CounterValue(t, m, "kafka_consumer_cache_requests_total", map[string]string{"cache": "customers", "result": result})
	}
	return soakFigures{
		panics:     consumertest.Sum(t, m, "kafka_consumer_handler_panics_total", map[string]string{"handler": service.OrdersEnricherName}),
		hits:       cache("hit"),
		misses:     cache("miss"),
		items:      consumertest.GaugeValue(t, m, "kafka_consumer_cache_items", map[string]string{"cache": "customers"}),
		rebalances: consumertest.Sum(t, m, "kafka_consumer_rebalances_total", nil),
	}
}

// checkSoakFigures: the panic fault panicked and the panics were
// counted; the cache served hits and churned (more misses than it
// holds, never more items than its bound); every join and leave rebalanced the first
// instance.
func checkSoakFigures(t *testing.T, f soakFigures, fault string, toggles int) {
	t.Helper()
	t.Logf("instance-1: %v panics recovered; cache %v hits, %v misses (%.1f%% misses), %v items; %v rebalances for %d joins and leaves",
		f.panics, f.hits, f.misses, 100*f.misses/(f.hits+f.misses), f.items, f.rebalances, toggles)
	if fault == string(service.FaultPanic) && f.panics == 0 {
		t.Errorf("no panic recovered under the panic fault")
	}
	if f.hits == 0 || f.misses < 2000 || f.items > 2000 {
		t.Errorf("cache: %v hits, %v misses, %v items; want hits, more misses than its 2,000 items, and at most 2,000 items", f.hits, f.misses, f.items)
	}
	if f.rebalances < float64(toggles) {
		t.Errorf("%v rebalances of instance-1 for %d joins and leaves", f.rebalances, toggles)
	}
}

// accountSoak reads the output and dead-letter topics back and fails for
// any order lost or in the wrong place, any record that is no order of
// the run, any letter without its reason, and duplicates beyond what the
// rebalances and the final stop can release (each can redeliver at most
// max_inflight, 1,000, per partition).
func accountSoak(t *testing.T, broker, run, topic string, produced uint64, unsure map[uint64]bool, toggles int) {
	t.Helper()
	l := newSoakLedger(run, produced, unsure)
	readTopic(t, broker, topic+".enriched", l.output)
	readTopic(t, broker, topic+".dlq", l.letter)
	a := l.account()
	var poison, panics int
	for seq := range produced {
		if kind := soakKindOf(seq); !unsure[seq] && kind == soakPoison {
			poison++
		} else if !unsure[seq] && kind == soakPanic {
			panics++
		}
	}
	t.Logf("ledger: %d orders (%d poison, %d chosen to panic, %d of unknown fate): %d lost, %d misplaced, %d duplicates, %d strays, %d letters without dlq.error; poison in the dead-letter topic %d, panicking ones in the output %d",
		produced, poison, panics, len(unsure), a.lost, a.misplaced, a.duplicates, l.strays, l.badLetters, a.poisonIn, a.panicsOut)
	for _, e := range a.examples {
		t.Log(e)
	}
	if a.lost > 0 || a.misplaced > 0 || l.strays > 0 || l.badLetters > 0 || a.poisonIn != poison || a.panicsOut != panics {
		t.Errorf("the ledger does not balance (see above)")
	}
	if bound := (toggles + 1) * soakPartitions * 1000; a.duplicates > bound {
		t.Errorf("%d duplicates, more than the %d that %d rebalances and the final stop can release", a.duplicates, bound, toggles)
	}
}
