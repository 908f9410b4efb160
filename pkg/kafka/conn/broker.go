package conn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/apiversions"
)

// BrokerConn is one connection to one broker, speaking the Kafka protocol
// through kafka-go's protocol package: the connection a fetch session
// owns. It is not safe for concurrent use; its owner sets its deadlines.
type BrokerConn struct {
	*protocol.Conn
	// Versions are the API versions this connection speaks: for each API
	// both sides know, the highest both support.
	Versions map[protocol.ApiKey]int16
}

// DialBroker connects to the broker at addr as every client built from c
// does — TCP, the TLS handshake, SASL authentication — and negotiates the
// API versions, within dialTimeout and ctx. clientID names the client in
// the broker's logs and quotas. The caller closes the connection.
func (c Settings) DialBroker(ctx context.Context, addr, clientID string) (*BrokerConn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("broker %q: %w", addr, err)
	}
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial broker %s: %w", addr, err)
	}
	bc, err := c.establish(ctx, raw, host, addr, clientID)
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	return bc, nil
}

// establish does, over raw, what DialBroker does after the TCP dial.
func (c Settings) establish(ctx context.Context, raw net.Conn, host, addr, clientID string) (*BrokerConn, error) {
	// A broker that accepts and says nothing does not hang the dial.
	if err := boundByContext(ctx, raw); err != nil {
		return nil, fmt.Errorf("broker %s: %w", addr, err)
	}
	established := raw
	if c.tls != nil {
		tlsConn := c.tlsClient(raw, host)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("broker %s: TLS handshake: %w", addr, err)
		}
		established = tlsConn
	}
	if c.sasl != nil {
		// kafka-go authenticates over the connection made above, exactly
		// as its dialer would over one of its own; its Conn is dropped
		// afterwards (it holds no goroutine, and every exchange it made is
		// complete, so nothing is left buffered).
		d := &kafkago.Dialer{SASLMechanism: c.sasl, DialFunc: func(context.Context, string, string) (net.Conn, error) { return established, nil }}
		if _, err := d.DialContext(ctx, "tcp", addr); err != nil {
			return nil, fmt.Errorf("broker %s: SASL: %w", addr, err)
		}
	}
	pc := protocol.NewConn(established, clientID)
	res, err := pc.RoundTrip(new(apiversions.Request))
	if err != nil {
		return nil, fmt.Errorf("broker %s: API versions: %w", addr, err)
	}
	av := res.(*apiversions.Response)
	if av.ErrorCode != 0 {
		return nil, fmt.Errorf("broker %s: API versions: %w", addr, kafkago.Error(av.ErrorCode))
	}
	versions := make(map[protocol.ApiKey]int16, len(av.ApiKeys))
	for _, k := range av.ApiKeys {
		key := protocol.ApiKey(k.ApiKey)
		versions[key] = key.SelectVersion(k.MinVersion, k.MaxVersion)
	}
	pc.SetVersions(versions)
	if err := established.SetDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("broker %s: clear the dial deadline: %w", addr, err)
	}
	return &BrokerConn{Conn: pc, Versions: versions}, nil
}

// tlsClient wraps raw in TLS with c's configuration. As kafka-go's dialer
// does, the certificate must name host, the address's host, unless the
// configuration names a server itself.
func (c Settings) tlsClient(raw net.Conn, host string) *tls.Conn {
	tc := c.tls
	if tc.ServerName == "" {
		tc = tc.Clone()
		tc.ServerName = host
	}
	return tls.Client(raw, tc)
}

// boundByContext gives conn ctx's deadline, if it has one, so that a peer
// that accepts and then says nothing cannot hang what runs over it.
func boundByContext(ctx context.Context, conn net.Conn) error {
	dl, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	if err := conn.SetDeadline(dl); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	return nil
}
