//go:build !brokerfree

package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// startWith starts an engine subscribed to one topic on brokers, logging
// to log; the engine is stopped when the test ends.
func startWith(t *testing.T, brokers []string, log *zap.Logger) (*Engine, error) {
	t.Helper()
	cfg := testConfig([]registry.Subscription{{Topic: "orders", Handler: "h", Ordering: registry.OrderingPartition}})
	cfg.Brokers = brokers
	m, err := NewMetrics(newTestRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return nil }))
	e, err := NewEngine(cfg, NewCluster(cfg, zap.NewNop()), h, m, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = e.Start(ctx)
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.Stop(stop); err != nil {
			t.Errorf("stop engine: %v", err)
		}
	})
	return e, err
}

// TestStartFailsOnRejectedSettingsAndWaitsForAnAbsentBroker: a broker
// that refuses the connection settings (here a TLS listener, the engine
// in plain text) fails Start with the cause named, since retrying cannot
// help; a broker that is not there is only a warning, and the consumer
// group keeps trying as before.
func TestStartFailsOnRejectedSettingsAndWaitsForAnAbsentBroker(t *testing.T) {
	cert := conntest.NewCA(t, "engine CA").Issue(conntest.Loopback())
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = startWith(t, c.ListenAddrs(), zap.NewNop())
	if !errors.Is(err, conn.ErrRejected) || !strings.Contains(err.Error(), "the broker's listener speaks TLS, but kafka.tls.enabled is false") {
		t.Fatalf("Start against a TLS listener in plain text: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	absent := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	if _, err := startWith(t, []string{absent}, zap.New(core)); err != nil {
		t.Fatalf("Start with the broker absent: %v", err)
	}
	warned := logs.FilterMessage("brokers not reachable at start; the consumer group keeps trying").All()
	if len(warned) != 1 || !strings.Contains(warned[0].ContextMap()["error"].(string), "broker "+absent) {
		t.Fatalf("want one warning naming %s, got %v", absent, logs.All())
	}
}
