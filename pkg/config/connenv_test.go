package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
)

// TestTestsReadTheConnectionSettingsAsTheBinaryDoes: the tests that build
// their own clients next to the service's (conntest.FromLookup) get, from
// the same environment, the kafka.tls and kafka.sasl settings Load gives
// the binary, so a secured broker's client.env serves both.
func TestTestsReadTheConnectionSettingsAsTheBinaryDoes(t *testing.T) {
	dir := t.TempDir()
	ca := conntest.NewCA(t, "settings CA")
	password := filepath.Join(dir, "password")
	if err := os.WriteFile(password, []byte("s3cret\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"none", map[string]string{}},
		{"SCRAM over TLS, password from a file", map[string]string{"KAFKA_BROKERS": "127.0.0.1:29092", "KAFKA_TLS_ENABLED": "true",
			"KAFKA_TLS_CA_FILE": ca.File, "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "consumer",
			"KAFKA_SASL_PASSWORD_FILE": password}},
		{"PLAIN in plain text, password given", map[string]string{"KAFKA_BROKERS": "127.0.0.1:29092", "KAFKA_TLS_ENABLED": "false",
			"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "consumer", "KAFKA_SASL_PASSWORD": "s3cret"}},
		{"TLS with the system's roots", map[string]string{"KAFKA_BROKERS": "127.0.0.1:29092", "KAFKA_TLS_ENABLED": "1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			cfg, err := Load("run", Source{LookupEnv: lookup, ReadFile: os.ReadFile}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tlsCfg, sasl, err := conntest.FromLookup(lookup)
			if err != nil {
				t.Fatal(err)
			}
			if tlsCfg != cfg.Kafka.TLS || sasl != cfg.Kafka.SASL {
				t.Fatalf("tests read TLS %+v SASL %+v; the binary reads TLS %+v SASL %+v", tlsCfg, sasl, cfg.Kafka.TLS, cfg.Kafka.SASL)
			}
		})
	}
}
