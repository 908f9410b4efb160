package conn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig enables TLS to the brokers.
type TLSConfig struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// SASLConfig enables SASL authentication: PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512. Password is a secret: redact it before printing;
// config.Load takes it from the environment or from PasswordFile, never
// from a flag.
type SASLConfig struct {
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
	// PasswordFile is the file config.Load read Password from (its
	// content, the trailing newlines trimmed); New only reads Password.
	PasswordFile string `yaml:"password_file"`
}

// Validate returns every problem with the TLS settings, each naming its
// setting. It reads and parses the files too: a missing or unreadable
// certificate is bad configuration, found before any connection.
func (t TLSConfig) Validate() []error {
	if !t.Enabled && (t.CAFile != "" || t.CertFile != "" || t.KeyFile != "") {
		return []error{fmt.Errorf("kafka.tls: files are set but kafka.tls.enabled is false")}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return []error{fmt.Errorf("kafka.tls.cert_file and kafka.tls.key_file must be set together")}
	}
	if !t.Enabled {
		return nil
	}
	_, errs := t.load()
	return errs
}

// Validate returns the problem with the SASL settings, naming its setting,
// or nil.
func (s SASLConfig) Validate() []error {
	switch s.Mechanism {
	case "":
		if s.Username != "" || s.Password != "" || s.PasswordFile != "" {
			return []error{fmt.Errorf("kafka.sasl: username or password set without kafka.sasl.mechanism")}
		}
		return nil
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.Username == "" || (s.Password == "" && s.PasswordFile == "") {
			return []error{fmt.Errorf("kafka.sasl.mechanism %s needs kafka.sasl.username and kafka.sasl.password (or kafka.sasl.password_file)", s.Mechanism)}
		}
		return nil
	default:
		return []error{fmt.Errorf("kafka.sasl.mechanism %q: must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)}
	}
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
