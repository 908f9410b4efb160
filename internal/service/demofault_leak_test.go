package service

import (
	"context"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// cacheInstances reads kafka_consumer_cache_instances{cache="customers"}.
func cacheInstances(t *testing.T, e *example) float64 {
	t.Helper()
	return consumertest.GaugeValue(t, e.metrics, "kafka_consumer_cache_instances", map[string]string{"cache": "customers"})
}

// TestLeakFaultBuildsACachePerLookupUntilStop (F2): under the leak fault
// every customer lookup builds a cache of its own — the instances gauge
// counts one per lookup beside the shared one, and their goroutines are
// attributed to the handler that looked up. Stop stops every one of them;
// lookups after Stop go through the shared cache.
func TestLeakFaultBuildsACachePerLookupUntilStop(t *testing.T) {
	e := buildExample(t, FaultLeak)
	before := handlerGoroutines()
	const orders = 20
	asHandler(func(ctx context.Context) {
		if err := e.handler.HandleBatch(ctx, ordersBatch(orders)); err != nil {
			t.Fatal(err)
		}
	})
	if got := cacheInstances(t, e); got != 1+orders {
		t.Fatalf("%v customer caches after %d lookups, want one per lookup and the shared one", got, orders)
	}
	if got := handlerGoroutines(); got < before+orders {
		t.Fatalf("%d goroutines attributed to the handler after %d lookups, want at least %d (a worker per cache)", got, orders, before+orders)
	}
	if len(e.pub.Published()) != orders {
		t.Fatalf("published %d, want %d: the leak must not change what the handler does", len(e.pub.Published()), orders)
	}

	if err := stopFaults(e.faults); err != nil {
		t.Fatal(err)
	}
	if got := cacheInstances(t, e); got != 1 {
		t.Fatalf("%v customer caches after Stop, want only the shared one", got)
	}
	consumertest.Eventually(t, "the leaked caches' workers to end", func() bool { return handlerGoroutines() == before })
	asHandler(func(ctx context.Context) {
		if err := e.handler.HandleBatch(ctx, ordersBatch(3)); err != nil {
			t.Fatal(err)
		}
	})
	if got, items := cacheInstances(t, e), e.shared.ItemCount(); got != 1 || items != 3 {
		t.Fatalf("after Stop: %v caches, shared cache holds %d; want 1 and the 3 looked up", got, items)
	}
}
