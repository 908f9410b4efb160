package consumerkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"gopkg.in/yaml.v3"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/registry"
	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

// newHandlers are the handlers TestAddingAHandlerFollowsTheReadme adds,
// one of each shape `consumer new handler` makes.
var newHandlers = []struct {
	name, typ, topic string
	flags            []string
}{
	{"payment-audit", "PaymentAudit", "payments", nil},
	{"payment-batch", "PaymentBatch", "payment-batches", []string{"--batch"}},
	{"keyed-audit", "KeyedAudit", "keyed-payments", []string{"--ordering", "key", "--workers", "8"}},
	{"retrying-audit", "RetryingAudit", "retried-payments", []string{"--retry-topic"}},
	{"unordered-audit", "UnorderedAudit", "unordered-payments", []string{"--ordering", "none", "--dead-letter=false"}},
}

// TestAddingAHandlerFollowsTheReadme follows the README's "Adding a
// handler" in a copy of the module: `consumer new handler`, with the
// binary built before, once per shape (per message; --batch; --ordering
// key --workers 8; --retry-topic; --ordering none --dead-letter=false).
// Then the copy is green: go vet, wire diff, the service's tests with the
// generated ones; the configuration file kept every line and has the new
// subscriptions; the same name again is refused without a change (by
// the binary that predates it). The service built from the copy,
// on the embedded broker, creates the new topics and consumes one message
// produced to each: kafka_consumer_messages_total{outcome="success"} is 1
// for each new handler. It is one function, and one copy, because each
// step needs the previous one's result and a copy takes a build.
func TestAddingAHandlerFollowsTheReadme(t *testing.T) {
	dir := copyRepo(t)
	configFile := filepath.Join(dir, "deploy/k8s/config.yaml")
	configBefore, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	consumer := buildConsumer(t, dir, t.TempDir())
	for _, h := range newHandlers {
		runIn(t, dir, consumer, append([]string{"new", "handler", h.name, "--topic", h.topic}, h.flags...)...)
	}
	refusedAgain(t, dir, consumer)
	runIn(t, dir, "go", "vet", "./...")
	runIn(t, dir, "go", "tool", "wire", "diff", ".")
	tests := runIn(t, dir, "go", "test", "-count=1", "-v", "./internal/service/")
	for _, h := range newHandlers {
		for _, test := range []string{"Test" + h.typ, "Test" + h.typ + "LeavesNoGoroutines"} {
			if !strings.Contains(tests, "--- PASS: "+test+" (") {
				t.Errorf("the generated %s did not pass:\n%s", test, tests)
			}
		}
	}
	configKept(t, string(configBefore), configFile)

	r := startBinary(t, buildConsumer(t, dir, t.TempDir()), "run", "--config", configFile, "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--log-level", "info")
	broker := r.waitLog("embedded broker started (in process; data is lost on exit)")
	var topics []string
	for _, v := range broker["topics"].([]any) {
		topics = append(topics, v.(string))
	}
	for _, h := range newHandlers {
		if !slices.Contains(topics, h.topic) {
			t.Fatalf("the embedded broker created %v: no %s", topics, h.topic)
		}
	}
	if !slices.Contains(topics, "payments.dlq") || !slices.Contains(topics, "retried-payments.retry") || slices.Contains(topics, "unordered-payments.dlq") {
		t.Fatalf("the embedded broker created %v: want payments.dlq and retried-payments.retry, no unordered-payments.dlq", topics)
	}
	base := r.ready()
	produceOneEach(t, broker["addrs"].([]any)[0].(string))
	for _, h := range newHandlers {
		consumertest.Eventually(t, h.name+"'s message handled", func() bool {
			return consumertest.CounterValue(t, consumertest.Scrape(t, base+"/metrics"), "kafka_consumer_messages_total",
				map[string]string{"topic": h.topic, "handler": h.name, "outcome": "success"}) == 1
		})
	}
	if code := r.terminate(); code != 0 {
		t.Fatalf("exit %d after SIGTERM\nstderr:\n%s", code, r.stderr.String())
	}
}

// refusedAgain: adding the first handler again is refused (exit 2) by
// consumer, a binary built before it was added (it reads the handler's
// subscription from the configuration file), and changes no file.
func refusedAgain(t *testing.T, dir, consumer string) {
	t.Helper()
	before := scaffoldtest.Tree(t, dir)
	h := newHandlers[0]
	cmd := exec.Command(consumer, "new", "handler", h.name, "--topic", "elsewhere")
	cmd.Dir, cmd.Env = dir, cleanEnv(t)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	want := fmt.Sprintf("handler %q already has a subscription (topic %q)", h.name, h.topic)
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), want) {
		t.Fatalf("adding %s again: %v\n%s\nwant exit 2 saying %q", h.name, err, out, want)
	}
	if changed := scaffoldtest.Changed(before, scaffoldtest.Tree(t, dir)); len(changed) > 0 {
		t.Fatalf("the refused command changed files: %v", changed)
	}
}

// configKept: the configuration file has every line it had, in order,
// and the new handlers' subscriptions after the old ones.
func configKept(t *testing.T, before, file string) {
	t.Helper()
	after, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	old, i := strings.Split(strings.TrimSuffix(before, "\n"), "\n"), 0
	for _, l := range strings.Split(string(after), "\n") {
		if i < len(old) && l == old[i] {
			i++
		}
	}
	if i < len(old) {
		t.Fatalf("%s lost or moved its line %d, %q:\n%s", file, i+1, old[i], after)
	}
	subscriptions := func(src []byte) []registry.Subscription {
		var doc struct {
			Kafka struct {
				Subscriptions []registry.Subscription `yaml:"subscriptions"`
			} `yaml:"kafka"`
		}
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Kafka.Subscriptions
	}
	had, has := subscriptions([]byte(before)), subscriptions(after)
	var added []string
	for _, s := range has[min(len(had), len(has)):] {
		added = append(added, s.Handler+":"+s.Topic)
	}
	var want []string
	for _, h := range newHandlers {
		want = append(want, h.name+":"+h.topic)
	}
	if !slices.Equal(added, want) {
		t.Fatalf("%s gained the subscriptions %v, want %v", file, added, want)
	}
}

// produceOneEach writes one valid event to each new handler's topic.
func produceOneEach(t *testing.T, addr string) {
	t.Helper()
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	for _, h := range newHandlers {
		w := &kafkago.Writer{Addr: kafkago.TCP(addr), Topic: h.topic, RequiredAcks: kafkago.RequireAll, BatchTimeout: 5 * time.Millisecond, Transport: tr}
		if err := w.WriteMessages(ctx, kafkago.Message{Key: []byte("k-1"), Value: []byte(`{"id":"e-1"}`)}); err != nil {
			t.Fatalf("produce to %s: %v", h.topic, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
