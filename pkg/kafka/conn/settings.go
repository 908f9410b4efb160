package conn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Settings hold what every client needs to reach the brokers securely.
// The zero value connects in plain text without authentication.
type Settings struct {
	tls  *tls.Config
	sasl sasl.Mechanism
}

// New builds the Settings of t and s, reading the TLS files when TLS is
// enabled. It returns every problem of the files, each naming its setting;
// it dials nothing.
func New(t TLSConfig, s SASLConfig) (Settings, error) {
	var c Settings
	if t.Enabled {
		cfg, errs := t.load()
		if err := errors.Join(errs...); err != nil {
			return c, err
		}
		c.tls = cfg
	}
	switch s.Mechanism {
	case "PLAIN":
		c.sasl = plain.Mechanism{Username: s.Username, Password: s.Password}
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if s.Mechanism == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, s.Username, s.Password)
		if err != nil {
			return c, fmt.Errorf("kafka.sasl %s: %w", s.Mechanism, err)
		}
		c.sasl = m
	}
	return c, nil
}

// Dialer returns a dialer for readers and the consumer group.
func (c Settings) Dialer() *kafkago.Dialer {
	return &kafkago.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: c.tls, SASLMechanism: c.sasl}
}

// Transport returns a Transport private to one client, named clientID in
// the brokers' logs and quotas, so closing that client's idle connections
// leaves no pool goroutines behind (the shared kafkago.DefaultTransport
// keeps them for the life of the process). The caller closes its idle
// connections when done with it.
//
// A connection the network resets costs the requests on it, never the
// Transport: kafka-go drops a connection whose request failed and dials
// a new one for the next. What lasts is a failed first metadata request
// (see MetadataTTL).
func (c Settings) Transport(clientID string) *kafkago.Transport {
	return &kafkago.Transport{ClientID: clientID, TLS: c.tls, SASL: c.sasl, DialTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second, MetadataTTL: MetadataTTL}
}

// MetadataTTL is how often a Transport asks the brokers for metadata
// again, and so the longest its writes keep failing after a network that
// broke its first metadata request has healed. kafka-go (v0.4.51,
// transport.go: connPool.update and discover) keeps the error of a pool's
// first metadata request, a reset or a refused connection, and hands it
// to every write without dialling, until its next refresh at a random time
// within MetadataTTL; once a request has succeeded, a failed one is
// ignored. A dead-letter writer opens its pool on its first letter, which
// a broken network may well meet: its partition is blocked for at most
// this long after the network is back. It is kafka-go's default; a longer
// one would keep such a partition blocked that much longer.
const MetadataTTL = 6 * time.Second
