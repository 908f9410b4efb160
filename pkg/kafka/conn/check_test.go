package conn_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
)

// listener starts an in-process broker (kfake) for the test: with TLS
// when cert is given, with SASL user consumer/secret (SCRAM-SHA-512)
// when sasl is true; clientCert makes the TLS listener require a client
// certificate. It returns the broker's address. In plain text,
// like Kafka, it closes a connection whose first request is too large to
// be one: the first bytes of a TLS handshake read as a size of hundreds
// of megabytes (kfake on its own would wait for them).
func listener(t *testing.T, cert *tls.Certificate, sasl bool, clientCert ...bool) string {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1)}
	if cert != nil {
		tc := &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		if len(clientCert) > 0 && clientCert[0] {
			tc.ClientAuth = tls.RequireAnyClientCert
		}
		opts = append(opts, kfake.TLS(tc))
	} else {
		opts = append(opts, kfake.ListenFn(func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			return refuseOversized{l}, err
		}))
	}
	if sasl {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "consumer", "secret"))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// check runs Check with its own bound, far beyond what any case needs:
// a case that hangs fails on it instead of hanging the test.
func check(t *testing.T, tlsCfg conn.TLSConfig, sasl conn.SASLConfig, addrs ...string) error {
	t.Helper()
	s, err := conn.New(tlsCfg, sasl)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = s.Check(ctx, addrs)
	if ctx.Err() != nil {
		t.Fatalf("Check still waiting on %v after 15s: %v", addrs, err)
	}
	return err
}

var scram = conn.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "consumer", Password: "secret"}

// TestCheckNamesWhyTheBrokerCannotBeUsed: every bad credential or
// certificate, and a client whose TLS setting does not match the
// listener, is a rejection (retrying cannot help) whose message names the
// cause and the setting to check, not a bare EOF; a broker that is only
// not there is not a rejection. Good settings pass.
func TestCheckNamesWhyTheBrokerCannotBeUsed(t *testing.T) {
	ca := conntest.NewCA(t, "test CA")
	good := ca.Issue(conntest.Loopback())
	expired := ca.Issue(conntest.Expired())
	elsewhere := ca.Issue(conntest.Leaf{IPs: []net.IP{net.IPv4(127, 0, 0, 2)}})
	trusted := conn.TLSConfig{Enabled: true, CAFile: ca.File}

	secured := listener(t, &good, true)
	if err := check(t, trusted, scram, secured); err != nil {
		t.Fatalf("good settings: %v", err)
	}

	for _, tt := range []struct {
		name  string
		addr  string
		tls   conn.TLSConfig
		sasl  conn.SASLConfig
		wants []string
	}{
		{"wrong password", secured, trusted, conn.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "consumer", Password: "wrong"},
			[]string{"SASL SCRAM-SHA-512 authentication failed: the broker refused the credentials", "kafka.sasl.password"}},
		{"unknown CA", secured, conn.TLSConfig{Enabled: true, CAFile: conntest.NewCA(t, "another CA").File}, scram,
			[]string{"signed by an authority this client does not trust", "kafka.tls.ca_file"}},
		{"expired certificate", listener(t, &expired, true), trusted, scram,
			[]string{"the broker's TLS certificate has expired or is not yet valid", "certificate has expired"}},
		{"wrong server name", listener(t, &elsewhere, true), trusted, scram,
			[]string{"the broker's TLS certificate is not valid for the address dialled", "valid for 127.0.0.2, not 127.0.0.1"}},
		{"plain text to TLS", secured, conn.TLSConfig{}, scram,
			[]string{"the broker's listener speaks TLS, but kafka.tls.enabled is false"}},
		{"plain text without SASL to TLS", secured, conn.TLSConfig{}, conn.SASLConfig{},
			[]string{"the broker's listener speaks TLS, but kafka.tls.enabled is false"}},
		{"no client certificate where one is required", listener(t, &good, true, true), trusted, scram,
			[]string{"the broker ended the TLS", "kafka.tls.cert_file", "remote error: tls: certificate required"}},
		{"TLS to plain text", listener(t, nil, false), trusted, conn.SASLConfig{},
			[]string{"the broker's listener speaks plain text, but kafka.tls.enabled is true"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := check(t, tt.tls, tt.sasl, tt.addr)
			if !errors.Is(err, conn.ErrRejected) {
				t.Fatalf("want a rejection, got %v", err)
			}
			for _, w := range append(tt.wants, "broker "+tt.addr+": connection rejected: ") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in %v", w, err)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the reason spans lines (the binary prints the first): %q", err)
			}
		})
	}
}

// TestCheckTriesEachBrokerAndRetriesWhatMayPass: a broker that is not
// there is named but not a rejection, and the next bootstrap broker is
// tried.
func TestCheckTriesEachBrokerAndRetriesWhatMayPass(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	err = check(t, conn.TLSConfig{}, conn.SASLConfig{}, gone)
	if err == nil || errors.Is(err, conn.ErrRejected) || !strings.Contains(err.Error(), "broker "+gone) {
		t.Fatalf("a closed port: want a retryable error naming it, got %v", err)
	}
	if err := check(t, conn.TLSConfig{}, conn.SASLConfig{}, gone, listener(t, nil, false)); err != nil {
		t.Fatalf("the second bootstrap broker answers: %v", err)
	}
}

// refuseOversized is a listener whose connections end at a first byte no
// Kafka request size starts with: a TLS record's (0x16, 369 MB and more).
type refuseOversized struct{ net.Listener }

func (l refuseOversized) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &firstRead{Conn: c}, nil
}

type firstRead struct {
	net.Conn
	seen bool
}

func (c *firstRead) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.seen && n > 0 {
		c.seen = true
		if p[0] == 0x16 {
			_ = c.Conn.Close()
			return 0, io.EOF
		}
	}
	return n, err
}
