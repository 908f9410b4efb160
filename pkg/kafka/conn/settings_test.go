package conn

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNewCarriesTLSAndSASLToEveryClient: the dialer and every transport
// built from Settings use the TLS configuration and SASL mechanism New
// built; TLS is at least 1.2.
func TestNewCarriesTLSAndSASLToEveryClient(t *testing.T) {
	s, err := New(TLSConfig{Enabled: true}, SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	d, tr := s.Dialer(), s.Transport("orders-letters")
	if d.TLS == nil || d.TLS != tr.TLS || d.TLS.MinVersion < 0x0303 {
		t.Errorf("dialer TLS %v, transport TLS %v: want the same, at least TLS 1.2", d.TLS, tr.TLS)
	}
	if d.SASLMechanism == nil || d.SASLMechanism.Name() != "SCRAM-SHA-512" || tr.SASL != d.SASLMechanism {
		t.Errorf("dialer SASL %v, transport SASL %v: want SCRAM-SHA-512 on both", d.SASLMechanism, tr.SASL)
	}
	if tr.ClientID != "orders-letters" {
		t.Errorf("transport client id %q", tr.ClientID)
	}
	plain, err := New(TLSConfig{}, SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "p"})
	if err != nil || plain.Dialer().TLS != nil || plain.Dialer().SASLMechanism.Name() != "PLAIN" {
		t.Errorf("plain text with PLAIN: %v, %v", plain.Dialer(), err)
	}
	if _, err := New(TLSConfig{Enabled: true, CAFile: filepath.Join(t.TempDir(), "nope.pem")}, SASLConfig{}); err == nil || !strings.Contains(err.Error(), "kafka.tls.ca_file") {
		t.Errorf("New with a missing CA file: %v", err)
	}
}
