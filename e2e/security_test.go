//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
)

// clientSecurity writes, from the connection settings of the environment
// (KAFKA_TLS_*, KAFKA_SASL_*: what the binary reads, see
// conntest.FromEnv), a kcat configuration and a client.properties for
// Kafka's own tools into the test's temporary directory, and returns the
// arguments that make each use them: none when the broker is in plain
// text without SASL.
//
// kcat authenticates with PLAIN whatever the configured mechanism: the
// librdkafka of Debian's kcat (2.0.2) computes a SCRAM proof that Kafka
// 4.x refuses (librdkafka#4895, fixed in 2.6.1). The broker of
// `KAFKA_SECURITY=sasl_ssl make kafka-up` offers PLAIN to the same user
// over the same TLS listener; the binary and Kafka's tools use the
// configured mechanism.
func clientSecurity(t *testing.T) (kcat, tools []string) {
	t.Helper()
	tlsCfg, sasl, err := conntest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if !tlsCfg.Enabled && sasl.Mechanism == "" {
		return nil, nil
	}
	protocol := "SSL"
	switch {
	case sasl.Mechanism != "" && tlsCfg.Enabled:
		protocol = "SASL_SSL"
	case sasl.Mechanism != "":
		protocol = "SASL_PLAINTEXT"
	}
	kc := []string{"security.protocol=" + protocol}
	props := []string{"security.protocol=" + protocol}
	if tlsCfg.CAFile != "" {
		kc = append(kc, "ssl.ca.location="+tlsCfg.CAFile)
		props = append(props, "ssl.truststore.type=PEM", "ssl.truststore.location="+tlsCfg.CAFile)
	}
	if tlsCfg.CertFile != "" {
		kc = append(kc, "ssl.certificate.location="+tlsCfg.CertFile, "ssl.key.location="+tlsCfg.KeyFile)
		// Kafka's PEM key store is one file: the key, then the chain.
		pair := filepath.Join(t.TempDir(), "client-keystore.pem")
		writePrivate(t, pair, readFile(t, tlsCfg.KeyFile)+readFile(t, tlsCfg.CertFile))
		props = append(props, "ssl.keystore.type=PEM", "ssl.keystore.location="+pair)
	}
	if sasl.Mechanism != "" {
		kc = append(kc, "sasl.mechanisms=PLAIN", "sasl.username="+sasl.Username, "sasl.password="+sasl.Password)
		module := "org.apache.kafka.common.security.scram.ScramLoginModule"
		if sasl.Mechanism == "PLAIN" {
			module = "org.apache.kafka.common.security.plain.PlainLoginModule"
		}
		props = append(props, "sasl.mechanism="+sasl.Mechanism,
			"sasl.jaas.config="+module+` required username="`+sasl.Username+`" password="`+sasl.Password+`";`)
	}
	dir := t.TempDir()
	kcatFile, propsFile := filepath.Join(dir, "kcat.conf"), filepath.Join(dir, "client.properties")
	writePrivate(t, kcatFile, strings.Join(kc, "\n")+"\n")
	writePrivate(t, propsFile, strings.Join(props, "\n")+"\n")
	return []string{"-F", kcatFile}, []string{"--command-config", propsFile}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// writePrivate writes a file only its owner reads: it holds a secret.
func writePrivate(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
