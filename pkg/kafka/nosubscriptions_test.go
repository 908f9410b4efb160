package kafka

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestEngineWithoutSubscriptionsIdlesReadyAndStopsCleanly: a service
// with no handler registered yet (the example removed) starts, says
// plainly that it consumes nothing and where handlers are registered, is
// ready and live, and stops cleanly, without contacting the brokers (the
// configured one here accepts nothing).
func TestEngineWithoutSubscriptionsIdlesReadyAndStopsCleanly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Brokers = []string{"127.0.0.1:1"}
	core, logs := observer.New(zap.InfoLevel)
	m, err := NewMetrics(newTestRegistry())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewCluster(cfg, zap.NewNop()), registry.Empty(), m, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatalf("Start without subscriptions: %v", err)
	}
	if err := e.Ready(); err != nil {
		t.Fatalf("Ready without subscriptions: %v", err)
	}
	if err := e.Live(); err != nil {
		t.Fatalf("Live without subscriptions: %v", err)
	}
	if n := logs.FilterMessage("no subscriptions: register a handler in internal/service/handlers.go").Len(); n != 1 {
		t.Fatalf("%d %q lines, want 1: %v", n, "no subscriptions: register a handler in internal/service/handlers.go", logs.All())
	}
	if err := e.Stop(ctx); err != nil {
		t.Fatalf("Stop without subscriptions: %v", err)
	}
	if err := e.Ready(); err == nil {
		t.Fatal("ready after Stop")
	}
}
