package conn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	kafkago "github.com/segmentio/kafka-go"
)

// tlsFailure names why the TLS handshake with addr failed. A certificate
// this client refuses, or an alert from the broker, is a rejection; so is
// a handshake the listener cut short because it speaks plain text, once a
// plain-text request proves it. Anything else (the broker went away
// mid-handshake) may pass.
func (c Settings) tlsFailure(ctx context.Context, addr string, err error) error {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownCA):
		return rejected(addr, "the broker's TLS certificate is signed by an authority this client does not trust", "check kafka.tls.ca_file", err)
	case errors.As(err, &hostname):
		return rejected(addr, "the broker's TLS certificate is not valid for the address dialled", "kafka.brokers must name each broker as its certificate does", err)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return rejected(addr, "the broker's TLS certificate has expired or is not yet valid", "renew the broker's certificate, or check this machine's clock", err)
	case errors.As(err, &verify):
		return rejected(addr, "the broker's TLS certificate was refused", "check kafka.tls.ca_file", err)
	case remoteAlert(err):
		return rejected(addr, "the broker ended the TLS handshake with an alert", "a listener that requires a client certificate needs kafka.tls.cert_file and kafka.tls.key_file; check kafka.tls", err)
	case cutShort(err) && speaksPlainKafka(ctx, addr):
		return rejected(addr, "the broker's listener speaks plain text, but kafka.tls.enabled is true", "check the port in kafka.brokers, or set kafka.tls.enabled false", err)
	}
	return fmt.Errorf("broker %s: TLS handshake: %w", addr, err)
}

// connectedFailure names why SASL authentication (stage "SASL") or the
// first request (stage "first request") failed once connected. The
// credentials refused, a mechanism the listener does not take, an alert
// from the broker after the handshake (TLS 1.3 sends a missing client
// certificate's that way), and a plain-text client at a TLS listener are
// rejections.
func (c Settings) connectedFailure(ctx context.Context, addr, stage string, err error) error {
	switch {
	case errors.Is(err, kafkago.SASLAuthenticationFailed):
		return rejected(addr, "SASL "+c.mechanism()+" authentication failed: the broker refused the credentials", "check kafka.sasl.username and kafka.sasl.password", err)
	case errors.Is(err, kafkago.UnsupportedSASLMechanism), errors.Is(err, kafkago.IllegalSASLState):
		return rejected(addr, "the broker's listener does not accept SASL mechanism "+c.mechanism(), "check kafka.sasl.mechanism", err)
	case remoteAlert(err):
		return rejected(addr, "the broker ended the TLS session with an alert", "a listener that requires a client certificate needs kafka.tls.cert_file and kafka.tls.key_file; check kafka.tls", err)
	case c.tls == nil && cutShort(err) && speaksTLS(ctx, addr):
		return rejected(addr, "the broker's listener speaks TLS, but kafka.tls.enabled is false", "set kafka.tls.enabled (KAFKA_TLS_ENABLED=true) and kafka.tls.ca_file", err)
	case c.sasl == nil && cutShort(err):
		// Not proven (a broker shutting down does the same), so it stays
		// retryable; the message names the likely cause.
		return fmt.Errorf("broker %s: the broker closed the connection at the first request, as a listener that requires SASL does when kafka.sasl.mechanism is not set: %w", addr, err)
	}
	return fmt.Errorf("broker %s: %s: %w", addr, stage, err)
}

// cutShort reports whether err is the peer closing or resetting the
// connection: what a listener does with bytes of a protocol it does not
// speak.
func cutShort(err error) bool {
	var header tls.RecordHeaderError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &header)
}

// speaksTLS reports whether the listener at addr answers a TLS handshake:
// it completes one, or answers with a TLS alert. Nothing is verified and
// nothing is sent after the handshake; it only tells which protocol the
// listener speaks.
func speaksTLS(ctx context.Context, addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	//nolint:gosec // a probe of the protocol only: no data is exchanged over it
	err = tls.Client(raw, &tls.Config{InsecureSkipVerify: true, ServerName: host, MinVersion: tls.VersionTLS12}).HandshakeContext(ctx)
	return err == nil || remoteAlert(err)
}

// remoteAlert reports whether err is a TLS alert the peer sent ("remote
// error: tls: bad certificate"): crypto/tls reports those as a
// net.OpError whose Op says so (its alert type is not exported).
func remoteAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// speaksPlainKafka reports whether the listener at addr answers a Kafka
// ApiVersions request in plain text.
func speaksPlainKafka(ctx context.Context, addr string) bool {
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	kc := kafkago.NewConnWith(raw, kafkago.ConnConfig{ClientID: "consumerkit-check"})
	defer kc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = kc.SetDeadline(dl)
	}
	_, err = kc.ApiVersions()
	return err == nil
}

// mechanism names the SASL mechanism for messages.
func (c Settings) mechanism() string {
	if c.sasl == nil {
		return "(none)"
	}
	return c.sasl.Name()
}
