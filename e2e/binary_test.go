//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// env holds what the test needs from its surroundings.
type env struct {
	brokers   string
	classpath string
	kcat      string
}

func requireEnv(t *testing.T) env {
	t.Helper()
	e := env{brokers: os.Getenv("KAFKA_BROKERS"), classpath: os.Getenv("KAFKA_CLASSPATH")}
	if e.brokers == "" {
		t.Fatal("KAFKA_BROKERS is not set: start a broker with `make kafka-up` and run `make test-e2e`")
	}
	if e.classpath == "" {
		t.Fatal("KAFKA_CLASSPATH is not set: `make test-e2e` sets it from scripts/kafka.sh classpath")
	}
	k, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: apt-get install kcat (.ci/run installs it)")
	}
	e.kcat = k
	return e
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "consumer")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/consumer")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type order struct {
	ID          string `json:"id"`
	CustomerID  string `json:"customer_id"`
	AmountCents int64  `json:"amount_cents"`
	CreatedAt   string `json:"created_at"`
}

// produceWithKcat writes lines "key|value" to topic with kcat (acks=all).
func produceWithKcat(t *testing.T, e env, topic string, lines []string) {
	t.Helper()
	cmd := exec.Command(e.kcat, "-b", e.brokers, "-P", "-t", topic, "-K", "|", "-X", "acks=all")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat produce: %v\n%s", err, out)
	}
}

// consumeWithKcat reads topic from the beginning to its end: key, value.
func consumeWithKcat(t *testing.T, e env, topic string) [][2]string {
	t.Helper()
	cmd := exec.Command(e.kcat, "-b", e.brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat consume %s: %v", topic, err)
	}
	var recs [][2]string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "\t"); ok {
			recs = append(recs, [2]string{k, v})
		}
	}
	return recs
}

// consumeWithKcatHeaders reads topic to its end, one line per record with
// its headers.
func consumeWithKcatHeaders(t *testing.T, e env, topic string) []string {
	t.Helper()
	cmd := exec.Command(e.kcat, "-b", e.brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%h\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat consume %s: %v", topic, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// groupLag asks Kafka's own ConsumerGroupCommand for the group's lag per
// partition of topic.
func groupLag(t *testing.T, e env, group, topic string) (map[int]int64, string) {
	t.Helper()
	cmd := exec.Command("java", "-cp", e.classpath, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
		"--bootstrap-server", e.brokers, "--describe", "--group", group)
	out, _ := cmd.CombinedOutput() // a group being rebalanced exits non-zero; the caller polls
	lags := map[int]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0] != group || f[1] != topic {
			continue
		}
		p, err1 := strconv.Atoi(f[2])
		lag, err2 := strconv.ParseInt(f[5], 10, 64)
		if err1 == nil && err2 == nil {
			lags[p] = lag
		}
	}
	return lags, string(out)
}

// syncBuffer collects a child process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// consumerProcess is the consumer binary running against the real broker.
type consumerProcess struct {
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan error
}

// startConsumer runs bin with args and KAFKA_BROKERS set; its output is
// shown if the test fails, and it is killed when the test ends.
func startConsumer(t *testing.T, e env, bin string, args ...string) *consumerProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*consumertest.Patience)
	c := &consumerProcess{cmd: exec.CommandContext(ctx, bin, args...), logs: &syncBuffer{}, exited: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+e.brokers)
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			t.Logf("consumer output:\n%s", c.logs.String())
		}
	})
	return c
}

// adminAddr waits for the consumer's "admin listening" log line and returns
// the address it bound: consumers listen on 127.0.0.1:0, so no port is
// handed on by closing a listener.
func (c *consumerProcess) adminAddr(t *testing.T) string {
	t.Helper()
	var addr string
	consumertest.Eventually(t, `the consumer's "admin listening" line`, func() bool {
		c.running(t)
		for line := range strings.Lines(c.logs.String()) {
			var entry struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "admin listening" && entry.Addr != "" {
				addr = entry.Addr
				return true
			}
		}
		return false
	})
	return addr
}

// running fails the test at once if the consumer has exited.
func (c *consumerProcess) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-c.exited:
		t.Fatalf("consumer exited early: %v", err)
	default:
	}
}

// stop sends SIGTERM and expects a clean exit.
func (c *consumerProcess) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		if err != nil {
			t.Fatalf("consumer exit after SIGTERM: %v", err)
		}
	case <-time.After(consumertest.Patience):
		t.Fatal("consumer did not exit after SIGTERM")
	}
}

// TestBinaryConsumesKcatOrdersAndLeavesNoLag: kcat produces N keyed JSON
// orders (1% malformed); the consumer binary, pointed at the real broker
// by KAFKA_BROKERS, processes them; /metrics shows every outcome; kcat
// reads one enriched order per good input, keyed like it, and the
// malformed ones from the dead-letter topic with their reasons; `consumer
// dlq replay` moves those on; Kafka's own ConsumerGroupCommand shows lag 0
// on every partition; SIGTERM exits 0.
func TestBinaryConsumesKcatOrdersAndLeavesNoLag(t *testing.T) {
	e := requireEnv(t)
	bin := buildBinary(t)
	const total, badEvery = 2000, 100
	suffix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	topic, group := "orders-e2e-"+suffix, "e2e-"+suffix

	var lines []string
	want := map[string]string{} // good order id -> customer
	for i := range total {
		customer := fmt.Sprintf("c-%05d", i%500+1)
		if i%badEvery == 0 {
			lines = append(lines, customer+`|{"id":"broken-`+strconv.Itoa(i)+`",`)
			continue
		}
		o := order{ID: fmt.Sprintf("o-%d", i), CustomerID: customer, AmountCents: int64(100 + i), CreatedAt: "2026-11-22T12:00:00Z"}
		v, _ := json.Marshal(o)
		lines = append(lines, customer+"|"+string(v))
		want[o.ID] = customer
	}
	produceWithKcat(t, e, topic, lines)

	cfgFile := filepath.Join(t.TempDir(), "consumer.yaml")
	cfg := fmt.Sprintf(`kafka:
  group_id: %s
  subscriptions:
    - topic: %s
      handler: orders-enricher
      ordering: partition
      batch: {size: 100, linger: 200ms}
      dead_letter: {enabled: true}
service:
  input_topic: %s
  output_topic: %s.enriched
`, group, topic, topic, topic)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	consumer := startConsumer(t, e, bin, "run", "--config", cfgFile, "--admin-addr", "127.0.0.1:0")
	admin := consumer.adminAddr(t)

	good, bad := float64(len(want)), float64(total-len(want))
	// Good orders succeed, some only after a retry (the output topic is
	// created by the first write); malformed ones fail permanently.
	consumertest.Eventually(t, "every order to reach its outcome", func() bool {
		consumer.running(t)
		metrics := consumertest.Scrape(t, "http://"+admin+"/metrics")
		count := func(outcome string) float64 {
			return consumertest.Sum(t, metrics, "kafka_consumer_messages_total", map[string]string{"topic": topic, "outcome": outcome})
		}
		return count("success")+count("retried") == good && count("dead_lettered") == bad
	})

	var lastDescribe string
	consumertest.Eventually(t, "ConsumerGroupCommand to report lag 0 on every partition", func() bool {
		lags, out := groupLag(t, e, group, topic)
		lastDescribe = out
		if len(lags) == 0 {
			return false
		}
		for _, lag := range lags {
			if lag != 0 {
				return false
			}
		}
		return true
	})
	t.Logf("ConsumerGroupCommand --describe:\n%s", lastDescribe)

	out := consumeWithKcat(t, e, topic+".enriched")
	seen := map[string]bool{}
	for _, rec := range out {
		var enriched struct {
			order
			CustomerName string `json:"customer_name"`
		}
		if err := json.Unmarshal([]byte(rec[1]), &enriched); err != nil {
			t.Fatalf("enriched record is not JSON: %q", rec[1])
		}
		customer, ok := want[enriched.ID]
		if !ok {
			t.Fatalf("output has an order that was not a good input: %s", enriched.ID)
		}
		if rec[0] != customer || enriched.CustomerName == "" {
			t.Fatalf("order %s: key %q customer_name %q, want key %q and a name", enriched.ID, rec[0], enriched.CustomerName, customer)
		}
		seen[enriched.ID] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("%d distinct enriched orders read back, want %d", len(seen), len(want))
	}

	// The malformed orders are in the dead-letter topic, with their reason.
	letters := consumeWithKcatHeaders(t, e, topic+".dlq")
	if len(letters) != int(bad) {
		t.Fatalf("dead-letter topic holds %d letters, want %d", len(letters), int(bad))
	}
	for _, l := range letters {
		if !strings.Contains(l, "dlq.error=decode order") || !strings.Contains(l, "dlq.original.topic="+topic) {
			t.Fatalf("dead letter without its reason headers: %s", l)
		}
	}
	// `consumer dlq replay` moves them on after a fix: a dry run first, then for real.
	replay := func(args ...string) string {
		c := exec.Command(bin, append([]string{"dlq", "replay", "--topic", topic + ".dlq", "--to", topic + ".replayed"}, args...)...)
		c.Env = append(os.Environ(), "KAFKA_BROKERS="+e.brokers)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("dlq replay %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := replay("--dry-run"); !strings.Contains(out, fmt.Sprintf("would replay %d", int(bad))) {
		t.Fatalf("dry run: %s", out)
	}
	if out := replay(); !strings.Contains(out, fmt.Sprintf("replayed %d", int(bad))) {
		t.Fatalf("replay: %s", out)
	}
	if got := len(consumeWithKcat(t, e, topic+".replayed")); got != int(bad) {
		t.Fatalf("replayed topic holds %d, want %d", got, int(bad))
	}

	consumer.stop(t)
	if !strings.Contains(consumer.logs.String(), `"msg":"shutdown complete"`) {
		t.Fatal("no shutdown-complete log line")
	}
}
