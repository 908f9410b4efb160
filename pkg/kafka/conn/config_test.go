package conn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func problems(errs []error) string { return errors.Join(errs...).Error() }

// TestValidateReadsTheTLSFiles (issue 9, finding 6): a missing or
// unparsable certificate file is bad configuration, found before any
// connection, naming its setting.
func TestValidateReadsTheTLSFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		tls  TLSConfig
		want []string
	}{
		{"missing CA", TLSConfig{Enabled: true, CAFile: filepath.Join(dir, "nope.pem")}, []string{"kafka.tls.ca_file", "no such file"}},
		{"CA without a certificate", TLSConfig{Enabled: true, CAFile: garbage}, []string{"kafka.tls.ca_file", "no PEM certificate found"}},
		{"bad client pair", TLSConfig{Enabled: true, CertFile: garbage, KeyFile: garbage}, []string{"kafka.tls.cert_file and key_file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(tt.tls.Validate())
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Fatalf("missing %q in %s", w, got)
				}
			}
		})
	}
	if errs := (TLSConfig{Enabled: true}).Validate(); len(errs) != 0 {
		t.Fatalf("TLS with the system's roots: %v", errs)
	}
}

// TestTLSFilesNeedTLS: files without kafka.tls.enabled, or a client
// certificate without its key, are mistakes reported as such, before any
// file is read.
func TestTLSFilesNeedTLS(t *testing.T) {
	for _, tt := range []struct {
		name string
		tls  TLSConfig
		want string // "": valid
	}{
		{"off", TLSConfig{}, ""},
		{"files without tls", TLSConfig{CAFile: "ca.pem"}, "kafka.tls: files are set but kafka.tls.enabled is false"},
		{"certificate without key", TLSConfig{Enabled: true, CertFile: "c.pem"}, "kafka.tls.cert_file and kafka.tls.key_file must be set together"},
		{"key without certificate", TLSConfig{Enabled: true, KeyFile: "k.pem"}, "kafka.tls.cert_file and kafka.tls.key_file must be set together"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.tls.Validate()
			if tt.want == "" {
				if len(errs) != 0 {
					t.Fatalf("valid settings rejected: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Error() != tt.want {
				t.Fatalf("got %v, want exactly %q", errs, tt.want)
			}
		})
	}
}

// TestSASLNeedsAKnownMechanismAndCredentials: a mechanism needs both
// credentials, credentials need a mechanism, and only PLAIN and SCRAM are
// known; each problem names its setting.
func TestSASLNeedsAKnownMechanismAndCredentials(t *testing.T) {
	for _, tt := range []struct {
		name string
		sasl SASLConfig
		want string // "": valid
	}{
		{"off", SASLConfig{}, ""},
		{"plain", SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "p"}, ""},
		{"scram-256", SASLConfig{Mechanism: "SCRAM-SHA-256", Username: "u", Password: "p"}, ""},
		{"scram-512", SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "u", Password: "p"}, ""},
		{"credentials without mechanism", SASLConfig{Username: "u"}, "kafka.sasl: username or password set without kafka.sasl.mechanism"},
		{"password without mechanism", SASLConfig{Password: "p"}, "kafka.sasl: username or password set without kafka.sasl.mechanism"},
		{"password file without mechanism", SASLConfig{PasswordFile: "/run/secrets/p"}, "kafka.sasl: username or password set without kafka.sasl.mechanism"},
		{"password from a file", SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: "/run/secrets/p"}, ""},
		{"no password", SASLConfig{Mechanism: "PLAIN", Username: "u"}, "kafka.sasl.mechanism PLAIN needs kafka.sasl.username and kafka.sasl.password (or kafka.sasl.password_file)"},
		{"no username", SASLConfig{Mechanism: "SCRAM-SHA-512", Password: "p"}, "kafka.sasl.mechanism SCRAM-SHA-512 needs kafka.sasl.username and kafka.sasl.password (or kafka.sasl.password_file)"},
		{"unknown", SASLConfig{Mechanism: "GSSAPI", Username: "u", Password: "p"}, `kafka.sasl.mechanism "GSSAPI": must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.sasl.Validate()
			if tt.want == "" {
				if len(errs) != 0 {
					t.Fatalf("valid settings rejected: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Error() != tt.want {
				t.Fatalf("got %v, want exactly %q", errs, tt.want)
			}
		})
	}
}
