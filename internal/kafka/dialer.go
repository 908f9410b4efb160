package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// connection holds what every client needs to reach the brokers securely.
type connection struct {
	tls  *tls.Config
	sasl sasl.Mechanism
}

func newConnection(cfg Config) (connection, error) {
	var c connection
	if cfg.TLS.Enabled {
		t := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.TLS.InsecureSkipVerify} //nolint:gosec // opt-in, documented
		if cfg.TLS.CAFile != "" {
			pem, err := os.ReadFile(cfg.TLS.CAFile)
			if err != nil {
				return c, fmt.Errorf("kafka.tls.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return c, fmt.Errorf("kafka.tls.ca_file %s: no certificate found", cfg.TLS.CAFile)
			}
			t.RootCAs = pool
		}
		if cfg.TLS.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
			if err != nil {
				return c, fmt.Errorf("kafka.tls client certificate: %w", err)
			}
			t.Certificates = []tls.Certificate{cert}
		}
		c.tls = t
	}
	switch cfg.SASL.Mechanism {
	case "PLAIN":
		c.sasl = plain.Mechanism{Username: cfg.SASL.Username, Password: cfg.SASL.Password}
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if cfg.SASL.Mechanism == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, cfg.SASL.Username, cfg.SASL.Password)
		if err != nil {
			return c, fmt.Errorf("kafka.sasl %s: %w", cfg.SASL.Mechanism, err)
		}
		c.sasl = m
	}
	return c, nil
}

func (c connection) dialer() *kafkago.Dialer {
	return &kafkago.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: c.tls, SASLMechanism: c.sasl}
}

// transport returns a Transport private to one writer, so closing that
// writer's idle connections leaves no pool goroutines behind (the shared
// kafkago.DefaultTransport keeps them for the life of the process).
func (c connection) transport(clientID string) *kafkago.Transport {
	return &kafkago.Transport{ClientID: clientID, TLS: c.tls, SASL: c.sasl, DialTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
}
