package config

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func source(args []string, env map[string]string, files map[string]string) Source {
	return Source{
		Args:      args,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if f, ok := files[p]; ok {
				return []byte(f), nil
			}
			return nil, fs.ErrNotExist
		},
	}
}

func TestDefaultsAreValidAndUseTheEmbeddedBroker(t *testing.T) {
	cfg, err := Load("run", source(nil, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Kafka.UsesEmbedded() || cfg.Admin.Addr != "127.0.0.1:9090" || cfg.Shutdown.Timeout != 30*time.Second {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestFlagsOverrideEnvOverrideFile(t *testing.T) {
	file := "kafka:\n  group_id: from-file\n  brokers: [file:9092]\nlog:\n  level: warn\nshutdown:\n  timeout: 22s\n"
	env := map[string]string{"KAFKA_GROUP_ID": "from-env", "LOG_LEVEL": "error"}
	args := []string{"--config", "c.yaml", "--group-id", "from-flag"}
	cfg, err := Load("run", source(args, env, map[string]string{"c.yaml": file}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kafka.GroupID != "from-flag" {
		t.Errorf("group id %q: flag must win", cfg.Kafka.GroupID)
	}
	if cfg.Log.Level != "error" {
		t.Errorf("log level %q: env must beat file", cfg.Log.Level)
	}
	if cfg.Shutdown.Timeout != 22*time.Second || cfg.Kafka.Brokers[0] != "file:9092" {
		t.Errorf("file values lost: %s %v", cfg.Shutdown.Timeout, cfg.Kafka.Brokers)
	}
	if cfg.Kafka.CommitInterval != time.Second {
		t.Errorf("defaults not kept under the file: commit interval %s", cfg.Kafka.CommitInterval)
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	cfg, err := Load("run", source(nil, map[string]string{"CONSUMER_CONFIG": "x.yaml"}, map[string]string{"x.yaml": "demo:\n  rate: 7\n"}))
	if err != nil || cfg.Demo.Rate != 7 {
		t.Fatalf("cfg.Demo.Rate=%d err=%v", cfg.Demo.Rate, err)
	}
}

func TestBadInputListsEveryProblemOnItsOwnLine(t *testing.T) {
	env := map[string]string{
		"KAFKA_BROKERS":    "broker-without-port,ok:9092",
		"SHUTDOWN_TIMEOUT": "-5s",
		"HANDLER_TIMEOUT":  "0s",
		"LOG_FORMAT":       "xml",
	}
	file := "kafka:\n  subscriptions:\n    - topic: orders\n      handler: orders-enricher\n      ordering: random\n"
	_, err := Load("run", source([]string{"--config", "c.yaml"}, env, map[string]string{"c.yaml": file}))
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, want := range []string{
		`kafka.brokers: "broker-without-port" is not host:port`,
		"shutdown.timeout must be > 0, got -5s",
		"kafka.handler_timeout must be > 0, got 0s",
		`log.format "xml"`,
		`ordering "random"`,
	} {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, want)
		}
		if !found {
			t.Errorf("no line reports %q in:\n%s", want, err)
		}
	}
}

func TestUnparsableValuesAreAllReported(t *testing.T) {
	env := map[string]string{"SHUTDOWN_TIMEOUT": "soon", "DEMO_RATE": "fast", "MAX_INFLIGHT_BYTES": "8MB", "DEMO_BAD_RATE": "1%", "KAFKA_TLS_ENABLED": "yes please"}
	_, err := Load("run", source([]string{"--drain-timeout", "later"}, env, nil))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`SHUTDOWN_TIMEOUT: "soon" is not a duration`,
		`DEMO_RATE: "fast" is not a whole number`,
		`MAX_INFLIGHT_BYTES: "8MB" is not a whole number`,
		`DEMO_BAD_RATE: "1%" is not a number`,
		`KAFKA_TLS_ENABLED: "yes please" is not true or false`,
		`--drain-timeout: "later" is not a duration`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// TestEveryKindOfValueParses: one setting of each parsed kind, given
// well-formed, lands in the configuration.
func TestEveryKindOfValueParses(t *testing.T) {
	env := map[string]string{"SHUTDOWN_TIMEOUT": "45s", "DEMO_RATE": "12", "MAX_INFLIGHT_BYTES": "4194304", "DEMO_BAD_RATE": "0.25", "KAFKA_TLS_ENABLED": "true"}
	cfg, err := Load("run", source(nil, env, nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Shutdown.Timeout != 45*time.Second || cfg.Demo.Rate != 12 || cfg.Kafka.MaxInflightBytes != 4<<20 || cfg.Demo.BadRate != 0.25 || !cfg.Kafka.TLS.Enabled {
		t.Fatalf("got shutdown %s, demo rate %d, max inflight bytes %d, bad rate %v, tls %v",
			cfg.Shutdown.Timeout, cfg.Demo.Rate, cfg.Kafka.MaxInflightBytes, cfg.Demo.BadRate, cfg.Kafka.TLS.Enabled)
	}
}

func TestUnknownFieldInFileIsRejected(t *testing.T) {
	_, err := Load("run", source([]string{"--config", "c.yaml"}, nil, map[string]string{"c.yaml": "kafka:\n  grup_id: typo\n"}))
	if err == nil || !strings.Contains(err.Error(), "grup_id") {
		t.Fatalf("unknown field not reported: %v", err)
	}
}

func TestMissingFileIsReported(t *testing.T) {
	_, err := Load("run", source([]string{"--config", "nope.yaml"}, nil, nil))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownFlagIsRejected(t *testing.T) {
	if _, err := Load("run", source([]string{"--no-such-flag"}, nil, nil)); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestPrintRedactsSecretsAndRoundTrips(t *testing.T) {
	env := map[string]string{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": "hunter2",
		"ADMIN_TOKEN": "t0ken", "KAFKA_BROKERS": "b1:9092"}
	cfg, err := Load("run", source(nil, env, nil))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(&out, cfg); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Contains(text, "hunter2") || strings.Contains(text, "t0ken") || strings.Count(text, "REDACTED") != 2 {
		t.Fatalf("secrets not redacted:\n%s", text)
	}
	if !strings.Contains(text, "timeout: 30s") {
		t.Fatalf("durations must print as Go duration strings:\n%s", text)
	}
	if cfg.Kafka.SASL.Password != "hunter2" {
		t.Fatal("Print must not change the live configuration")
	}
	// The printed file loads back (secrets aside) to the same settings.
	back, err := Load("run", source([]string{"--config", "p.yaml"}, map[string]string{"KAFKA_SASL_PASSWORD": "x", "ADMIN_TOKEN": "y"}, map[string]string{"p.yaml": text}))
	if err != nil {
		t.Fatalf("printed config does not load: %v", err)
	}
	if back.Kafka.GroupID != cfg.Kafka.GroupID || back.Kafka.Subscriptions[0].Batch != cfg.Kafka.Subscriptions[0].Batch {
		t.Fatalf("round trip changed settings")
	}
}

func TestEveryBindingHasDistinctNames(t *testing.T) {
	envs, flags := map[string]bool{}, map[string]bool{}
	for _, b := range bindings() {
		if envs[b.env] || flags[b.flag] {
			t.Fatalf("duplicate binding %s/--%s", b.env, b.flag)
		}
		envs[b.env], flags[b.flag] = true, true
	}
}

func TestBooleanFlagsMayBeBare(t *testing.T) {
	cfg, err := Load("run", source([]string{"--brokers", "b:9092", "--demo-fault", "slow", "--allow-demo-fault"}, nil, nil))
	if err != nil || !cfg.Service.AllowDemoFault {
		t.Fatalf("bare --allow-demo-fault: %v %v", cfg.Service.AllowDemoFault, err)
	}
	if _, err := Load("run", source([]string{"--brokers", "b:9092", "--demo-fault", "slow"}, nil, nil)); err == nil || !strings.Contains(err.Error(), "--allow-demo-fault") {
		t.Fatalf("a demo fault on real brokers must be refused without --allow-demo-fault: %v", err)
	}
	if cfg, err := Load("run", source([]string{"--tls=false"}, nil, nil)); err != nil || cfg.Kafka.TLS.Enabled {
		t.Fatalf("--tls=false: %v %v", cfg.Kafka.TLS.Enabled, err)
	}
}

// TestShutdownMustOutlastTheConsumersDrain (issue 9, finding 5): a
// shutdown timeout that the consumer's drain and the abandonment of stuck
// calls could use up entirely leaves nothing for the components after it.
func TestShutdownMustOutlastTheConsumersDrain(t *testing.T) {
	env := map[string]string{"SHUTDOWN_TIMEOUT": "12s", "DRAIN_TIMEOUT": "10s"}
	_, err := Load("run", source(nil, env, nil))
	if err == nil || !strings.Contains(err.Error(), "shutdown.timeout (12s) must exceed kafka.drain_timeout + kafka.zombie_grace (15s)") {
		t.Fatalf("got %v", err)
	}
	env["SHUTDOWN_TIMEOUT"] = "15s" // equal is not enough: it must exceed
	if _, err := Load("run", source(nil, env, nil)); err == nil || !strings.Contains(err.Error(), "must exceed") {
		t.Fatalf("shutdown.timeout equal to drain_timeout + zombie_grace: got %v", err)
	}
	env["SHUTDOWN_TIMEOUT"] = "16s"
	if _, err := Load("run", source(nil, env, nil)); err != nil {
		t.Fatal(err)
	}
	// A timeout that is not positive is reported once, as such; comparing
	// it with the drain would only add noise.
	env["SHUTDOWN_TIMEOUT"] = "0s"
	if _, err := Load("run", source(nil, env, nil)); err == nil || err.Error() != "shutdown.timeout must be > 0, got 0s" {
		t.Fatalf("zero shutdown.timeout: got %v", err)
	}
}

// TestDemoFaultsShapeTheInputTopicsBatchStage: what the README promises of
// each demo fault on the framework's side. batchstall makes the input
// topic's batch stage one the traffic can never fill (size 1,000, the
// default max_inflight);
// slow makes its batches small (at most 10); errorpath sends 1% of the demo
// orders malformed unless demo.bad_rate says otherwise. Other topics, and
// subscriptions without a batch stage, are left alone.
func TestDemoFaultsShapeTheInputTopicsBatchStage(t *testing.T) {
	file := `kafka:
  embedded:
    topics: [orders, orders.enriched, orders.dlq, payments, refunds]
  subscriptions:
    - topic: orders
      handler: orders-enricher
      ordering: partition
      batch: {size: 100, linger: 200ms}
    - topic: payments
      handler: payments
      ordering: partition
      batch: {size: 50, linger: 200ms}
    - topic: refunds
      handler: refunds
      ordering: partition
`
	load := func(t *testing.T, env map[string]string) Config {
		t.Helper()
		cfg, err := Load("run", source([]string{"--config", "c.yaml"}, env, map[string]string{"c.yaml": file}))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	batchSizes := func(cfg Config) map[string]int {
		sizes := map[string]int{}
		for _, s := range cfg.Kafka.Subscriptions {
			sizes[s.Topic] = s.Batch.Size
		}
		return sizes
	}
	for _, tt := range []struct {
		fault string
		want  map[string]int
	}{
		{"", map[string]int{"orders": 100, "payments": 50, "refunds": 0}},
		{"batchstall", map[string]int{"orders": 1000, "payments": 50, "refunds": 0}},
		{"slow", map[string]int{"orders": 10, "payments": 50, "refunds": 0}},
		{"errorpath", map[string]int{"orders": 100, "payments": 50, "refunds": 0}},
	} {
		t.Run("fault "+tt.fault, func(t *testing.T) {
			got := batchSizes(load(t, map[string]string{"DEMO_FAULT": tt.fault}))
			for topic, want := range tt.want {
				if got[topic] != want {
					t.Errorf("%s batch size %d, want %d (all: %v)", topic, got[topic], want, got)
				}
			}
		})
	}
	if rate := load(t, map[string]string{"DEMO_FAULT": "errorpath"}).Demo.BadRate; rate != 0.01 {
		t.Errorf("errorpath: demo bad rate %v, want 0.01", rate)
	}
	if rate := load(t, map[string]string{"DEMO_FAULT": "errorpath", "DEMO_BAD_RATE": "0.2"}).Demo.BadRate; rate != 0.2 {
		t.Errorf("errorpath with DEMO_BAD_RATE=0.2: demo bad rate %v, the operator's rate must stand", rate)
	}
	if rate := load(t, map[string]string{"DEMO_FAULT": "slow"}).Demo.BadRate; rate != 0 {
		t.Errorf("slow: demo bad rate %v, want the default 0", rate)
	}
}
