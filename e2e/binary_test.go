//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestBinaryConsumesKcatOrdersAndLeavesNoLag: kcat produces N keyed JSON
// orders (1% malformed); the consumer binary, pointed at the real broker
// by KAFKA_BROKERS, processes them; /metrics shows every outcome; kcat
// reads one enriched order per good input, keyed like it, and the
// malformed ones from the dead-letter topic with their reasons; `consumer
// dlq replay` moves those on; Kafka's own ConsumerGroupCommand shows lag 0
// on every partition; SIGTERM exits 0.
// (Long: one end-to-end run, each step depending on the one before.)
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
	consumer := startConsumer(t, e, bin, "run", "--config", cfgFile, "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0")
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
