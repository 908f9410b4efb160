package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// binding ties one setting to its environment variable and flag.
type binding struct {
	env, flag, usage string
	set              func(c *Config, v string) error
	// boolean flags may be given bare (--tls means --tls=true).
	boolean bool
}

// bindings lists every setting that environment variables and flags can
// override. The names are a contract: deploy/k8s and the README use them.
func bindings() []binding {
	return []binding{
		{"KAFKA_BROKERS", "brokers", "comma-separated host:port list; empty runs the embedded broker",
			func(c *Config, v string) error { c.Kafka.Brokers = splitList(v); return nil }, false},
		{"KAFKA_GROUP_ID", "group-id", "consumer group id",
			func(c *Config, v string) error { c.Kafka.GroupID = v; return nil }, false},
		{"KAFKA_START_OFFSET", "start-offset", "where a new group starts: earliest or latest",
			func(c *Config, v string) error { c.Kafka.StartOffset = v; return nil }, false},
		{"KAFKA_TLS_ENABLED", "tls", "connect to the brokers with TLS (true/false)",
			func(c *Config, v string) error { return parseBool(v, &c.Kafka.TLS.Enabled) }, true},
		{"KAFKA_TLS_CA_FILE", "tls-ca-file", "PEM file of CAs to trust",
			func(c *Config, v string) error { c.Kafka.TLS.CAFile = v; return nil }, false},
		{"KAFKA_TLS_CERT_FILE", "tls-cert-file", "PEM client certificate",
			func(c *Config, v string) error { c.Kafka.TLS.CertFile = v; return nil }, false},
		{"KAFKA_TLS_KEY_FILE", "tls-key-file", "PEM client key",
			func(c *Config, v string) error { c.Kafka.TLS.KeyFile = v; return nil }, false},
		{"KAFKA_SASL_MECHANISM", "sasl-mechanism", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
			func(c *Config, v string) error { c.Kafka.SASL.Mechanism = v; return nil }, false},
		{"KAFKA_SASL_USERNAME", "sasl-username", "SASL user",
			func(c *Config, v string) error { c.Kafka.SASL.Username = v; return nil }, false},
		{"KAFKA_SASL_PASSWORD", "sasl-password", "SASL password (prefer the environment variable to the flag)",
			func(c *Config, v string) error { c.Kafka.SASL.Password = v; return nil }, false},
		{"MAX_INFLIGHT", "max-inflight", "fetched messages a partition may hold before fetching pauses",
			func(c *Config, v string) error { return parseInt(v, &c.Kafka.MaxInflight) }, false},
		{"MAX_INFLIGHT_BYTES", "max-inflight-bytes", "fetched payload bytes per partition before fetching pauses",
			func(c *Config, v string) error { return parseInt64(v, &c.Kafka.MaxInflightBytes) }, false},
		{"COMMIT_INTERVAL", "commit-interval", "how often completed offsets are committed",
			func(c *Config, v string) error { return parseDuration(v, &c.Kafka.CommitInterval) }, false},
		{"HANDLER_TIMEOUT", "handler-timeout", "deadline of one handler call",
			func(c *Config, v string) error { return parseDuration(v, &c.Kafka.HandlerTimeout) }, false},
		{"STALL_TIMEOUT", "stall-timeout", "a partition with work that completes nothing this long fails /healthz",
			func(c *Config, v string) error { return parseDuration(v, &c.Kafka.StallTimeout) }, false},
		{"DIAG_DIR", "diag-dir", "where evidence (goroutine dump, consumer state, heap profile) is saved when liveness fails",
			func(c *Config, v string) error { c.Watchdog.DiagDir = v; return nil }, false},
		{"DRAIN_TIMEOUT", "drain-timeout", "how long in-flight work may finish on revoke or shutdown",
			func(c *Config, v string) error { return parseDuration(v, &c.Kafka.DrainTimeout) }, false},
		{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "bound of the whole shutdown",
			func(c *Config, v string) error { return parseDuration(v, &c.Shutdown.Timeout) }, false},
		{"ADMIN_ADDR", "admin-addr", "admin HTTP listen address (metrics, probes, pprof)",
			func(c *Config, v string) error { c.Admin.Addr = v; return nil }, false},
		{"ADMIN_TOKEN", "admin-token", "bearer token required on /debug/* and PUT /loglevel (prefer the environment variable)",
			func(c *Config, v string) error { c.Admin.Token = v; return nil }, false},
		{"LOG_LEVEL", "log-level", "debug, info, warn or error",
			func(c *Config, v string) error { c.Log.Level = v; return nil }, false},
		{"LOG_FORMAT", "log-format", "json or console",
			func(c *Config, v string) error { c.Log.Format = v; return nil }, false},
		{"DEMO_RATE", "demo-rate", "demo orders per second on the embedded broker; 0 turns the demo producer off",
			func(c *Config, v string) error { return parseInt(v, &c.Demo.Rate) }, false},
		{"DEMO_FAULT", "demo-fault", "make the example misbehave: batchstall (F1), leak (F2), errorpath (F3), deadlock (F4), slow (F5)",
			func(c *Config, v string) error { c.Service.DemoFault = v; return nil }, false},
		{"ALLOW_DEMO_FAULT", "allow-demo-fault", "permit --demo-fault on real brokers (true/false)",
			func(c *Config, v string) error { return parseBool(v, &c.Service.AllowDemoFault) }, true},
		{"DEMO_BAD_RATE", "demo-bad-rate", "fraction of demo orders sent malformed (they go to orders.dlq)",
			func(c *Config, v string) error { return parseFloat(v, &c.Demo.BadRate) }, false},
	}
}

// EnvNames lists every environment variable the configuration reads,
// CONSUMER_CONFIG included; manifests are checked against it.
func EnvNames() []string {
	names := []string{"CONSUMER_CONFIG"}
	for _, b := range bindings() {
		names = append(names, b.env)
	}
	return names
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseDuration(v string, dst *time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 30s", v)
	}
	*dst = d
	return nil
}

func parseInt(v string, dst *int) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

func parseInt64(v string, dst *int64) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

func parseFloat(v string, dst *float64) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	*dst = f
	return nil
}

func parseBool(v string, dst *bool) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*dst = b
	return nil
}
