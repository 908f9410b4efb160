package conn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// dialTimeout bounds one connection attempt: the TCP dial, the TLS
// handshake, SASL and the first request.
const dialTimeout = 10 * time.Second

// ErrRejected is wrapped by Check's error when a broker cannot be used
// with these settings for a reason that retrying with the same settings
// cannot fix: the broker refused the credentials, this client refused the
// broker's certificate (unknown authority, expired, issued for another
// name), or client and listener disagree about TLS. A service should stop
// and say so rather than retry forever.
var ErrRejected = errors.New("connection rejected")

// Check connects to the brokers as every client built from c will — TCP,
// the TLS handshake, SASL authentication — and asks for the cluster's
// brokers (a Metadata request, which a listener requiring SASL refuses
// without it). It tries addrs in order and returns nil at the first broker
// that answers. Otherwise it returns why, naming each broker it tried
// (joined with "; ", on one line); the error wraps ErrRejected as soon as
// a broker rejected the settings, since the others were configured alike.
// Each attempt is bounded by dialTimeout, the whole by ctx. When the
// first request fails at once, Check looks at what the listener speaks, so
// that a plain-text client at a TLS listener (and the reverse) is named as
// such rather than as an EOF.
func (c Settings) Check(ctx context.Context, addrs []string) error {
	if len(addrs) == 0 {
		return errors.New("no brokers to connect to")
	}
	var errs []string
	for _, addr := range addrs {
		err := c.checkOne(ctx, addr)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrRejected) {
			return err
		}
		errs = append(errs, err.Error())
		if ctx.Err() != nil {
			break
		}
	}
	return errors.New(strings.Join(errs, "; "))
}

// checkOne is one broker's attempt, in stages so that each failure is
// named by the stage it happened in.
func (c Settings) checkOne(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("broker %q: %w", addr, err)
	}
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("broker %s: %w", addr, err)
	}
	defer raw.Close()
	// A listener that accepts and says nothing does not hang the check.
	if err := boundByContext(ctx, raw); err != nil {
		return fmt.Errorf("broker %s: %w", addr, err)
	}
	established := raw
	if c.tls != nil {
		tlsConn := c.tlsClient(raw, host)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return c.tlsFailure(ctx, addr, err)
		}
		established = tlsConn
	}
	// kafka-go authenticates and speaks Kafka over the connection made
	// above, exactly as its dialer would over one of its own.
	d := &kafkago.Dialer{SASLMechanism: c.sasl, DialFunc: func(context.Context, string, string) (net.Conn, error) { return established, nil }}
	kc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return c.connectedFailure(ctx, addr, "SASL", err)
	}
	defer kc.Close()
	if err := boundByContext(ctx, kc); err != nil {
		return fmt.Errorf("broker %s: %w", addr, err)
	}
	if _, err := kc.Brokers(); err != nil {
		return c.connectedFailure(ctx, addr, "first request", err)
	}
	return nil
}

// rejected is a failure retrying cannot fix: what happened, what to check,
// and kafka-go's or crypto/tls's own error.
func rejected(addr, what, hint string, err error) error {
	return fmt.Errorf("broker %s: %w: %s (%s): %w", addr, ErrRejected, what, hint, err)
}
