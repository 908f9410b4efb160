package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
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

// load builds the TLS client configuration from the files, listing every
// problem, each naming its setting.
func (t TLSConfig) load() (*tls.Config, []error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in, documented
	var errs []error
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("kafka.tls.ca_file: %w", err))
		default:
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				errs = append(errs, fmt.Errorf("kafka.tls.ca_file %s: no PEM certificate found", t.CAFile))
			}
			c.RootCAs = pool
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("kafka.tls.cert_file and key_file: %w", err))
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, errs
}

func newConnection(cfg Config) (connection, error) {
	var c connection
	if cfg.TLS.Enabled {
		t, errs := cfg.TLS.load()
		if err := errors.Join(errs...); err != nil {
			return c, err
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
