package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// binding ties one setting to its environment variable and flag. A
// binding without a flag is read from the environment only: a secret (see
// secrets), whose flag Load refuses.
type binding struct {
	env, flag, usage string
	// field points at the setting; set parses text into it.
	field any
}

// boolean reports whether the flag may be given bare (--tls means --tls=true).
func (b binding) boolean() bool {
	_, ok := b.field.(*bool)
	return ok
}

// frameworkBindings lists every setting of c that environment variables
// and flags override. The names are a contract: deploy/k8s and the README
// use them.
func frameworkBindings(c *Config) []binding {
	return []binding{
		{"KAFKA_BROKERS", "brokers", "comma-separated host:port list; empty runs the embedded broker", &c.Kafka.Brokers},
		{"KAFKA_GROUP_ID", "group-id", "consumer group id", &c.Kafka.GroupID},
		{"KAFKA_START_OFFSET", "start-offset", "where a new group starts: earliest or latest", &c.Kafka.StartOffset},
		{"KAFKA_EMBEDDED_PORT", "embedded-port", "port of the embedded broker on 127.0.0.1, so tools such as kcat can reach it; 0 picks a free one", &c.Kafka.Embedded.Port},
		{"KAFKA_TLS_ENABLED", "tls", "connect to the brokers with TLS (true/false)", &c.Kafka.TLS.Enabled},
		{"KAFKA_TLS_CA_FILE", "tls-ca-file", "PEM file of CAs to trust", &c.Kafka.TLS.CAFile},
		{"KAFKA_TLS_CERT_FILE", "tls-cert-file", "PEM client certificate", &c.Kafka.TLS.CertFile},
		{"KAFKA_TLS_KEY_FILE", "tls-key-file", "PEM client key", &c.Kafka.TLS.KeyFile},
		{"KAFKA_SASL_MECHANISM", "sasl-mechanism", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", &c.Kafka.SASL.Mechanism},
		{"KAFKA_SASL_USERNAME", "sasl-username", "SASL user", &c.Kafka.SASL.Username},
		{"KAFKA_SASL_PASSWORD", "", "SASL password", &c.Kafka.SASL.Password},
		{"KAFKA_SASL_PASSWORD_FILE", "sasl-password-file", "file holding the SASL password (trailing newlines trimmed), instead of KAFKA_SASL_PASSWORD", &c.Kafka.SASL.PasswordFile},
		{"MAX_INFLIGHT", "max-inflight", "fetched messages a partition may hold before fetching pauses", &c.Kafka.MaxInflight},
		{"MAX_INFLIGHT_BYTES", "max-inflight-bytes", "fetched payload bytes per partition before fetching pauses", &c.Kafka.MaxInflightBytes},
		{"KAFKA_FETCHER", "fetcher", "how partitions are fetched: reader (a kafka-go Reader per partition) or session (one fetch session per broker)", &c.Kafka.Fetcher},
		{"COMMIT_INTERVAL", "commit-interval", "how often completed offsets are committed", &c.Kafka.CommitInterval},
		{"HANDLER_TIMEOUT", "handler-timeout", "deadline of one handler call", &c.Kafka.HandlerTimeout},
		{"STALL_TIMEOUT", "stall-timeout", "a partition with work that completes nothing this long fails /healthz", &c.Kafka.StallTimeout},
		{"DIAG_DIR", "diag-dir", "where evidence (goroutine dump, consumer state, heap profile) is saved when liveness fails", &c.Watchdog.DiagDir},
		{"DRAIN_TIMEOUT", "drain-timeout", "how long in-flight work may finish on revoke or shutdown", &c.Kafka.DrainTimeout},
		{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "bound of the whole shutdown", &c.Shutdown.Timeout},
		{"ADMIN_ADDR", "admin-addr", "admin HTTP listen address: /metrics, /healthz, /readyz, GET /loglevel", &c.Admin.Addr},
		{"DEBUG_ADDR", "debug-addr", "debug HTTP listen address: /debug/pprof/, /debug/consumer, GET and PUT /loglevel; empty turns it off; beyond loopback it needs a token or --debug-allow-unauthenticated", &c.Admin.DebugAddr},
		{"DEBUG_ALLOW_UNAUTHENTICATED", "debug-allow-unauthenticated", "allow the debug listener beyond loopback without a token (true/false)", &c.Admin.DebugAllowUnauthenticated},
		{"ADMIN_TOKEN", "", "bearer token required on every debug route", &c.Admin.Token},
		{"ADMIN_TOKEN_FILE", "admin-token-file", "file holding the bearer token (trailing newlines trimmed), instead of ADMIN_TOKEN", &c.Admin.TokenFile},
		{"LOG_LEVEL", "log-level", "debug, info, warn or error", &c.Log.Level},
		{"LOG_FORMAT", "log-format", "json or console", &c.Log.Format},
	}
}

// allBindings lists the framework's bindings of c, then the section's
// (svc may be nil). A name bound twice, or a setting of a kind set cannot
// parse, is an error of the program.
func allBindings(c *Config, svc Section) ([]binding, error) {
	all := frameworkBindings(c)
	if svc != nil {
		if err := checkSection(svc); err != nil {
			return nil, err
		}
		svc.Bind(func(env, flag, usage string, field any) {
			all = append(all, binding{env, flag, usage, field})
		})
	}
	envs, flags := map[string]bool{"CONSUMER_CONFIG": true}, map[string]bool{"config": true}
	for _, b := range all {
		if envs[b.env] || flags[b.flag] {
			return nil, fmt.Errorf("config: %s / --%s is bound twice", b.env, b.flag)
		}
		envs[b.env] = true
		if b.flag != "" {
			flags[b.flag] = true
		}
		if !supported(b.field) {
			return nil, fmt.Errorf("config: %s binds a %T; bind a *string, *bool, *int, *int64, *float64, *time.Duration or *[]string", b.env, b.field)
		}
	}
	return all, nil
}

// EnvNames lists every environment variable the configuration reads,
// CONSUMER_CONFIG and those svc binds included; manifests are checked
// against it.
func EnvNames(svc Section) ([]string, error) {
	var c Config
	all, err := allBindings(&c, svc)
	if err != nil {
		return nil, err
	}
	names := []string{"CONSUMER_CONFIG"}
	for _, b := range all {
		names = append(names, b.env)
	}
	return names, nil
}

// supported reports whether set parses settings of field's kind.
func supported(field any) bool {
	switch field.(type) {
	case *string, *bool, *int, *int64, *float64, *time.Duration, *[]string:
		return true
	}
	return false
}

// set parses v into the setting field points at (of a kind supported
// reports).
func set(field any, v string) error {
	switch f := field.(type) {
	case *string:
		*f = v
	case *[]string:
		*f = splitList(v)
	case *bool:
		return parse(v, f, strconv.ParseBool, "is not true or false")
	case *int:
		return parse(v, f, strconv.Atoi, "is not a whole number")
	case *int64:
		return parse(v, f, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }, "is not a whole number")
	case *float64:
		return parse(v, f, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }, "is not a number")
	case *time.Duration:
		return parse(v, f, time.ParseDuration, "is not a duration such as 30s")
	default:
		return fmt.Errorf("a %T cannot be set from text", field)
	}
	return nil
}

func parse[T any](v string, dst *T, p func(string) (T, error), problem string) error {
	x, err := p(v)
	if err != nil {
		return fmt.Errorf("%q %s", v, problem)
	}
	*dst = x
	return nil
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
