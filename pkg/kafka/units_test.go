package kafka

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"

	"github.com/prometheus/client_golang/prometheus"
)

func newTestRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	cfg := subscribedConfig()
	cfg.Brokers = []string{"nohost", "h:99999"}
	cfg.GroupID = ""
	cfg.DrainTimeout = time.Minute // not below the rebalance timeout
	cfg.MaxInflight = 0
	cfg.Subscriptions = append(cfg.Subscriptions, registry.Subscription{Topic: "orders", Handler: "", Ordering: "key", Batch: registry.BatchConfig{Size: 5}})
	cfg.SASL = conn.SASLConfig{Mechanism: "GSSAPI"}
	cfg.TLS = conn.TLSConfig{Enabled: true, CertFile: "client.pem"}
	errs := cfg.Validate()
	text := ""
	for _, e := range errs {
		text += e.Error() + "\n"
	}
	for _, want := range []string{
		`"nohost" is not host:port`, `"h:99999" has an invalid port`, "group_id must not be empty",
		"drain_timeout (1m0s) must be less than kafka.rebalance_timeout", "max_inflight must be >= 1",
		`"orders" is subscribed twice`, "[1].handler must not be empty", "workers must be between 1 and 1024 for ordering key",
		"batches need ordering partition",
		"batch.linger must be > 0", `mechanism "GSSAPI"`, "kafka.tls.cert_file and kafka.tls.key_file must be set together",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatalf("default config invalid: %v", errs)
	}
}

func TestBackoffGrowsAndStaysWithinBounds(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, 2*time.Second
	cfg := DefaultConfig()
	cfg.RetryBackoff, cfg.MaxRetryBackoff = base, maxDelay
	for attempt := 1; attempt <= 40; attempt++ {
		d := cfg.blockingRetry().Delay(attempt)
		ceiling := min(base<<min(attempt-1, 30), maxDelay)
		if d < ceiling/2 || d > ceiling {
			t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, ceiling/2, ceiling)
		}
	}
}

func TestRedactedHidesPassword(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SASL = conn.SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "p"}
	if r := cfg.Redacted(); r.SASL.Password != "REDACTED" || cfg.SASL.Password != "p" {
		t.Fatalf("redaction wrong: %q / %q", r.SASL.Password, cfg.SASL.Password)
	}
	// A password read from a file is printed as the file's name only.
	cfg.SASL.PasswordFile = "/run/secrets/kafka-password"
	if r := cfg.Redacted(); r.SASL.Password != "" || r.SASL.PasswordFile != cfg.SASL.PasswordFile || cfg.SASL.Password != "p" {
		t.Fatalf("redaction of a password from a file wrong: %q from %q / %q", r.SASL.Password, r.SASL.PasswordFile, cfg.SASL.Password)
	}
}

func TestKeyRoutingIsStableAndSpreads(t *testing.T) {
	sub := &subscription{Subscription: registry.Subscription{Ordering: registry.OrderingKey, Workers: 8}}
	l := newLanes(sub, 100)
	used := map[chan<- *pooledMessage]bool{}
	for i := range 1000 {
		key := []byte(strconv.Itoa(i % 50))
		a, b := l.route(&pooledMessage{Message: message.Message{Key: key}}), l.route(&pooledMessage{Message: message.Message{Key: key}})
		if a != b {
			t.Fatal("one key routed to two lanes")
		}
		used[a] = true
	}
	if len(used) < 6 {
		t.Fatalf("50 keys used only %d of 8 lanes", len(used))
	}
}

// TestKeyLanesShareTheInflightBound: key lanes' queues hold twice the
// in-flight bound between them (at least 4 each, at most the bound each),
// so a full queue pauses fetching about when the bound would.
func TestKeyLanesShareTheInflightBound(t *testing.T) {
	for _, c := range []struct{ workers, inflight, want int }{{8, 100, 25}, {8, 10, 4}, {1, 100, 100}} {
		l := newLanes(&subscription{Subscription: registry.Subscription{Ordering: registry.OrderingKey, Workers: c.workers}}, c.inflight)
		for i, q := range l.queues {
			if cap(q) != c.want {
				t.Fatalf("%d workers, in-flight %d: queue %d holds %d, want %d", c.workers, c.inflight, i, cap(q), c.want)
			}
		}
	}
}
