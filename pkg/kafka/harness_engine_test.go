package kafka

import (
	"context"
	"runtime/pprof"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// startPublisher starts a Publisher on the broker, stopped when the test
// ends (after any engine started later).
func (b *testBroker) startPublisher() *publish.Publisher {
	b.t.Helper()
	cfg := testConfig(nil)
	cfg.Brokers, cfg.TLS, cfg.SASL = b.addrs, b.tls, b.sasl
	pub := NewPublisher(cfg, NewCluster(cfg, zap.NewNop()))
	if err := pub.Start(context.Background()); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() {
		if err := pub.Stop(context.Background()); err != nil {
			b.t.Errorf("stop publisher: %v", err)
		}
	})
	return pub
}

// engineUnderTest is one consumer instance with its own metrics registry.
type engineUnderTest struct {
	*Engine
	reg *prometheus.Registry
	// id labels the goroutines started from its Start (see
	// labelEngineUnderTest).
	id string
}

func (b *testBroker) startEngine(cfg Config, handlers *registry.Registry) *engineUnderTest {
	b.t.Helper()
	return b.startEngineWith(cfg, handlers, nil)
}

// startEngineWith is startEngine with prepare called on the engine before
// it starts.
func (b *testBroker) startEngineWith(cfg Config, handlers *registry.Registry, prepare func(*Engine)) *engineUnderTest {
	b.t.Helper()
	cfg.Brokers, cfg.TLS, cfg.SASL = b.addrs, b.tls, b.sasl
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		b.t.Fatal(err)
	}
	cluster := NewCluster(cfg, zap.NewNop())
	e, err := NewEngine(cfg, cluster, handlers, m, zaptest.NewLogger(b.t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		b.t.Fatal(err)
	}
	if prepare != nil {
		prepare(e)
	}
	eut := &engineUnderTest{Engine: e, reg: reg, id: strconv.FormatInt(topicSeq.Add(1), 10)}
	pprof.Do(context.Background(), pprof.Labels(labelEngineUnderTest, eut.id), func(context.Context) {
		err = e.Start(context.Background())
	})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { eut.stop(b.t) })
	return eut
}

func (e *engineUnderTest) stop(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Errorf("stop engine: %v", err)
	}
}

// assertAccounting checks, for an engine that has stopped, that every
// fetched message is accounted for: fetched = outcomes + released.
func assertAccounting(t testing.TB, engines ...*engineUnderTest) (fetched, outcomes, released float64) {
	t.Helper()
	for _, e := range engines {
		fetched += consumertest.Sum(t, e.reg, "kafka_consumer_fetched_total", nil)
		outcomes += consumertest.Sum(t, e.reg, "kafka_consumer_messages_total", nil)
		released += consumertest.Sum(t, e.reg, "kafka_consumer_released_total", nil)
	}
	if fetched != outcomes+released {
		t.Fatalf("accounting: fetched %v != outcomes %v + released %v", fetched, outcomes, released)
	}
	return fetched, outcomes, released
}
