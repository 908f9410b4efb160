package consumerkit

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// faultPromise is the promise: every demo fault shows its failure
// within 10 s of start at the default demo rate. It is measured from the
// moment the admin server answers, a few milliseconds after the process
// starts.
const faultPromise = 10 * time.Second

// consumerProcess is `consumer run` in a process of its own.
type consumerProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    consumertest.Buffer
	exited chan struct{}
	base   string    // the admin server's base URL
	start  time.Time // when the process was started
	up     time.Time // when the admin server first answered
}

// runConsumer starts `bin run --demo-fault fault` on the embedded broker
// with every other setting at its default, except what keeps parallel
// runs apart (the admin and debug listeners on 127.0.0.1:0, a diagnostics directory of
// the test's own) and flags. Its environment holds nothing the
// configuration reads. It returns once the admin server answers; a
// process still running when the test ends is killed.
func runConsumer(t *testing.T, bin, fault string, flags ...string) *consumerProcess {
	t.Helper()
	args := append([]string{"run", "--demo-fault", fault, "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0",
		"--diag-dir", t.TempDir(), "--log-level", "info"}, flags...)
	p := &consumerProcess{t: t, cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Env = []string{}
	for _, keep := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(keep); ok {
			p.cmd.Env = append(p.cmd.Env, keep+"="+v)
		}
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		_ = p.cmd.Wait() // the exit is read from ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	var addr string
	p.poll("the admin server's address", consumertest.Patience, func() bool {
		for _, line := range strings.Split(p.out.String(), "\n") {
			var e struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "admin listening" {
				addr = e.Addr
			}
		}
		return addr != ""
	})
	p.base = "http://" + addr
	p.poll("the admin server to answer", consumertest.Patience, func() bool { code, _ := get(p.base + "/healthz"); return code != 0 })
	p.up = time.Now()
	return p
}

// poll waits up to limit for cond, failing at once if the process exits
// first. The exit is checked before each call of cond, so a process that
// died fails with its output rather than with a refused scrape. (It is not
// consumertest.Eventually because of that check and because the promise
// test waits less than consumertest.Patience.)
func (p *consumerProcess) poll(what string, limit time.Duration, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-p.exited:
			p.t.Fatalf("the process exited (%v) while waiting for %s; output:\n%s", p.cmd.ProcessState, what, p.out.String())
		default:
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("still waiting for %s after %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// showsWithinPromise waits for the fault's signal and returns how long
// after the admin server answered it appeared; it fails the test if that
// broke the promise. It waits three times the promise before it gives up,
// so a slow machine shows by how much the promise was missed.
func (p *consumerProcess) showsWithinPromise(signal string, cond func() bool) time.Duration {
	p.t.Helper()
	p.poll(signal, 3*faultPromise, cond)
	took := time.Since(p.up)
	if took > faultPromise {
		p.t.Errorf("%s took %v after the admin server answered, promised within %v", signal, took.Round(time.Millisecond), faultPromise)
	}
	return took
}

// terminate sends SIGTERM and expects a clean shutdown: exit code 0 and
// "shutdown complete".
func (p *consumerProcess) terminate() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(consumertest.Patience):
		p.t.Fatalf("still running %v after SIGTERM; output:\n%s", consumertest.Patience, p.out.String())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(p.out.String(), `"msg":"shutdown complete"`) {
		p.t.Fatalf("exit code %d after SIGTERM, want a clean shutdown (0); output:\n%s", code, p.out.String())
	}
}

// metrics scrapes the process's /metrics.
func (p *consumerProcess) metrics() prometheus.Gatherer {
	p.t.Helper()
	return consumertest.Scrape(p.t, p.base+"/metrics")
}

// get returns the status and body of url, or 0 when nothing answers.
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, ""
	}
	return resp.StatusCode, string(body)
}

// TestDemoFaultsShowWithinTenSecondsInTheBinary runs the real command as
// the README tells an operator to, at the default demo rate, and checks
// the promise for every fault: its failure shows within 10 s, and
// the process then shuts down cleanly on SIGTERM. The deadlock fault runs
// five times, with the README's --handler-timeout 1s --stall-timeout 3s:
// /healthz turns 503 naming the handler every time. The figures are
// logged (go test -v) for the README's table.
func TestDemoFaultsShowWithinTenSecondsInTheBinary(t *testing.T) {
	bin := buildConsumer(t, ".", t.TempDir())
	enricher := map[string]string{"handler": service.OrdersEnricherName}
	orders := func(outcome string) map[string]string {
		return map[string]string{"topic": "orders", "handler": service.OrdersEnricherName, "outcome": outcome}
	}
	t.Run("deadlock", func(t *testing.T) {
		for run := range 5 {
			p := runConsumer(t, bin, "deadlock", "--handler-timeout", "1s", "--stall-timeout", "3s")
			var reason string
			took := p.showsWithinPromise("/healthz 503", func() bool {
				code, body := get(p.base + "/healthz")
				reason = body
				return code == http.StatusServiceUnavailable
			})
			if !strings.Contains(reason, "handler orders-enricher") {
				t.Errorf("run %d: the 503 does not name the handler: %s", run, reason)
			}
			t.Logf("run %d: /healthz 503 %v after the admin server answered (%v after start)", run,
				took.Round(10*time.Millisecond), time.Since(p.start).Round(10*time.Millisecond))
			p.terminate()
		}
	})
	for _, tt := range []struct {
		fault, signal string
		shows         func(p *consumerProcess) bool
	}{
		{"leak", `kafka_consumer_leak_suspected{handler="orders-enricher"} 1`, func(p *consumerProcess) bool {
			return consumertest.Sum(t, p.metrics(), "kafka_consumer_leak_suspected", enricher) == 1
		}},
		{"errorpath", `outcome="dead_lettered" above 0 with "failed" at 0`, func(p *consumerProcess) bool {
			m := p.metrics()
			return consumertest.CounterValue(t, m, "kafka_consumer_messages_total", orders("dead_lettered")) > 0 &&
				consumertest.CounterValue(t, m, "kafka_consumer_messages_total", orders("failed")) == 0
		}},
		{"batchstall", `linger flushes and successes with no size flush`, func(p *consumerProcess) bool {
			m := p.metrics()
			flushes := func(reason string) float64 {
				return consumertest.CounterValue(t, m, "kafka_consumer_batch_flushes_total", map[string]string{"handler": service.OrdersEnricherName, "reason": reason})
			}
			return flushes("linger") >= 10 && flushes("size") == 0 && consumertest.CounterValue(t, m, "kafka_consumer_messages_total", orders("success")) > 0
		}},
		{"slow", `kafka_consumer_lag{topic="orders"} above 500 with /healthz 200`, func(p *consumerProcess) bool {
			code, _ := get(p.base + "/healthz")
			return consumertest.Sum(t, p.metrics(), "kafka_consumer_lag", map[string]string{"topic": "orders"}) > 500 && code == http.StatusOK
		}},
		{"panic", `kafka_consumer_handler_panics_total above 0, outcome="retried" above 0, "dead_lettered" at 0, /healthz 200`, func(p *consumerProcess) bool {
			m := p.metrics()
			code, _ := get(p.base + "/healthz")
			return code == http.StatusOK && consumertest.Sum(t, m, "kafka_consumer_handler_panics_total", enricher) > 0 &&
				consumertest.CounterValue(t, m, "kafka_consumer_messages_total", orders("retried")) > 0 &&
				consumertest.CounterValue(t, m, "kafka_consumer_messages_total", orders("dead_lettered")) == 0
		}},
	} {
		t.Run(tt.fault, func(t *testing.T) {
			p := runConsumer(t, bin, tt.fault)
			took := p.showsWithinPromise(tt.signal, func() bool { return tt.shows(p) })
			t.Logf("%s: %s %v after the admin server answered (%v after start)", tt.fault, tt.signal,
				took.Round(10*time.Millisecond), time.Since(p.start).Round(10*time.Millisecond))
			p.terminate()
		})
	}
}
