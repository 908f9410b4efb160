package conn_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/metadata"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
)

// TestDialBrokerSpeaksKafkaOverTLSAndSASL: DialBroker connects as the
// settings say — plain, TLS, TLS and SASL — negotiates the API versions,
// and the connection answers requests; credentials the broker refuses,
// or TLS the listener does not speak, fail the dial.
func TestDialBrokerSpeaksKafkaOverTLSAndSASL(t *testing.T) {
	ca := conntest.NewCA(t, "test CA")
	good := ca.Issue(conntest.Loopback())
	trusted := conn.TLSConfig{Enabled: true, CAFile: ca.File}
	plainAddr, tlsAddr, saslAddr := listener(t, nil, false), listener(t, &good, false), listener(t, &good, true)
	dial := func(tlsCfg conn.TLSConfig, sasl conn.SASLConfig, addr string) (*conn.BrokerConn, error) {
		t.Helper()
		s, err := conn.New(tlsCfg, sasl)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return s.DialBroker(ctx, addr, "test")
	}
	for name, tc := range map[string]struct {
		tls  conn.TLSConfig
		sasl conn.SASLConfig
		addr string
	}{
		"plain": {addr: plainAddr}, "tls": {tls: trusted, addr: tlsAddr}, "tls and sasl": {tls: trusted, sasl: scram, addr: saslAddr},
	} {
		c, err := dial(tc.tls, tc.sasl, tc.addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Versions[protocol.Fetch] < 4 {
			t.Fatalf("%s: Fetch v%d negotiated", name, c.Versions[protocol.Fetch])
		}
		res, err := c.RoundTrip(&metadata.Request{})
		if err != nil || len(res.(*metadata.Response).Brokers) != 1 {
			t.Fatalf("%s: metadata over the connection: %v %+v", name, err, res)
		}
		_ = c.Close()
	}
	wrong := scram
	wrong.Password = "wrong"
	for name, tc := range map[string]struct {
		tls  conn.TLSConfig
		sasl conn.SASLConfig
		addr string
	}{
		"refused credentials":      {tls: trusted, sasl: wrong, addr: saslAddr},
		"no TLS at a TLS listener": {addr: tlsAddr}, "TLS at a plain listener": {tls: trusted, addr: plainAddr},
	} {
		if c, err := dial(tc.tls, tc.sasl, tc.addr); err == nil {
			_ = c.Close()
			t.Fatalf("%s: dialled", name)
		}
	}
}
