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
	cfg, err := Load("run", source(nil, nil, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Kafka.UsesEmbedded() || cfg.Admin.Addr != "127.0.0.1:9090" || cfg.Shutdown.Timeout != 30*time.Second {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestFlagsOverrideEnvOverrideFile(t *testing.T) {
	file := "kafka:\n  group_id: from-file\n  brokers: [file:9092]\nlog:\n  level: warn\nshutdown:\n  timeout: 22s\n"
	env := map[string]string{"KAFKA_GROUP_ID": "from-env", "LOG_LEVEL": "error", "KAFKA_EMBEDDED_PORT": "19092"}
	args := []string{"--config", "c.yaml", "--group-id", "from-flag"}
	cfg, err := Load("run", source(args, env, map[string]string{"c.yaml": file}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kafka.GroupID != "from-flag" {
		t.Errorf("group id %q: flag must win", cfg.Kafka.GroupID)
	}
	if cfg.Log.Level != "error" {
		t.Errorf("log level %q: env must beat file", cfg.Log.Level)
	}
	if cfg.Kafka.Embedded.Port != 19092 {
		t.Errorf("embedded port %d: KAFKA_EMBEDDED_PORT sets it", cfg.Kafka.Embedded.Port)
	}
	if cfg.Shutdown.Timeout != 22*time.Second || cfg.Kafka.Brokers[0] != "file:9092" {
		t.Errorf("file values lost: %s %v", cfg.Shutdown.Timeout, cfg.Kafka.Brokers)
	}
	if cfg.Kafka.CommitInterval != time.Second {
		t.Errorf("defaults not kept under the file: commit interval %s", cfg.Kafka.CommitInterval)
	}
}

// TestEmptyBrokersSelectTheEmbeddedOne: an empty value is a value, not an
// absent one: KAFKA_BROKERS="" undoes the file's brokers.
func TestEmptyBrokersSelectTheEmbeddedOne(t *testing.T) {
	cfg, err := Load("run", source([]string{"--config", "c.yaml"}, map[string]string{"KAFKA_BROKERS": ""},
		map[string]string{"c.yaml": "kafka:\n  brokers: [file:9092]\n"}), nil)
	if err != nil || !cfg.Kafka.UsesEmbedded() {
		t.Fatalf("brokers %v, err %v: want none", cfg.Kafka.Brokers, err)
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
	_, err := Load("run", source([]string{"--config", "c.yaml"}, env, map[string]string{"c.yaml": file}), nil)
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
	env := map[string]string{"SHUTDOWN_TIMEOUT": "soon", "MAX_INFLIGHT": "many", "MAX_INFLIGHT_BYTES": "8MB", "KAFKA_TLS_ENABLED": "yes please"}
	_, err := Load("run", source([]string{"--drain-timeout", "later"}, env, nil), nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`SHUTDOWN_TIMEOUT: "soon" is not a duration`,
		`MAX_INFLIGHT: "many" is not a whole number`,
		`MAX_INFLIGHT_BYTES: "8MB" is not a whole number`,
		`KAFKA_TLS_ENABLED: "yes please" is not true or false`,
		`--drain-timeout: "later" is not a duration`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestUnknownFieldInFileIsRejected(t *testing.T) {
	_, err := Load("run", source([]string{"--config", "c.yaml"}, nil, map[string]string{"c.yaml": "kafka:\n  grup_id: typo\n"}), nil)
	if err == nil || !strings.Contains(err.Error(), "line 2: field grup_id not found") {
		t.Fatalf("unknown field not reported with its line: %v", err)
	}
}

func TestMissingFileIsReported(t *testing.T) {
	_, err := Load("run", source([]string{"--config", "nope.yaml"}, nil, nil), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownFlagIsRejected(t *testing.T) {
	if _, err := Load("run", source([]string{"--no-such-flag"}, nil, nil), nil); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestPrintRedactsSecretsAndRoundTrips(t *testing.T) {
	env := map[string]string{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": "hunter2",
		"ADMIN_TOKEN": "t0ken", "KAFKA_BROKERS": "b1:9092", "COMMIT_INTERVAL": "3s"}
	cfg, err := Load("run", source(nil, env, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(&out, cfg, nil); err != nil {
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
	back, err := Load("run", source([]string{"--config", "p.yaml"}, map[string]string{"KAFKA_SASL_PASSWORD": "x", "ADMIN_TOKEN": "y"}, map[string]string{"p.yaml": text}), nil)
	if err != nil {
		t.Fatalf("printed config does not load: %v", err)
	}
	if back.Kafka.GroupID != cfg.Kafka.GroupID || back.Kafka.CommitInterval != 3*time.Second || back.Kafka.Brokers[0] != "b1:9092" {
		t.Fatalf("round trip changed settings")
	}
}

func TestBooleanFlagsMayBeBare(t *testing.T) {
	if cfg, err := Load("run", source([]string{"--tls"}, nil, nil), nil); err != nil || !cfg.Kafka.TLS.Enabled {
		t.Fatalf("bare --tls: %v %v", cfg.Kafka.TLS.Enabled, err)
	}
	if cfg, err := Load("run", source([]string{"--tls=false"}, nil, nil), nil); err != nil || cfg.Kafka.TLS.Enabled {
		t.Fatalf("--tls=false: %v %v", cfg.Kafka.TLS.Enabled, err)
	}
}

// TestShutdownMustOutlastTheConsumersDrain (issue 9, finding 5): a
// shutdown timeout that the consumer's drain and the abandonment of stuck
// calls could use up entirely leaves nothing for the components after it.
func TestShutdownMustOutlastTheConsumersDrain(t *testing.T) {
	env := map[string]string{"SHUTDOWN_TIMEOUT": "12s", "DRAIN_TIMEOUT": "10s"}
	_, err := Load("run", source(nil, env, nil), nil)
	if err == nil || !strings.Contains(err.Error(), "shutdown.timeout (12s) must exceed kafka.drain_timeout + kafka.zombie_grace (15s)") {
		t.Fatalf("got %v", err)
	}
	env["SHUTDOWN_TIMEOUT"] = "15s" // equal is not enough: it must exceed
	if _, err := Load("run", source(nil, env, nil), nil); err == nil || !strings.Contains(err.Error(), "must exceed") {
		t.Fatalf("shutdown.timeout equal to drain_timeout + zombie_grace: got %v", err)
	}
	env["SHUTDOWN_TIMEOUT"] = "16s"
	if _, err := Load("run", source(nil, env, nil), nil); err != nil {
		t.Fatal(err)
	}
	// A timeout that is not positive is reported once, as such; comparing
	// it with the drain would only add noise.
	env["SHUTDOWN_TIMEOUT"] = "0s"
	if _, err := Load("run", source(nil, env, nil), nil); err == nil || err.Error() != "shutdown.timeout must be > 0, got 0s" {
		t.Fatalf("zero shutdown.timeout: got %v", err)
	}
}
