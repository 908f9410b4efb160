package service

import (
	"context"
	"fmt"
	"runtime/pprof"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// example is the example's parts as the injector builds them under one
// demo fault: the providers choose each part's decorator.
type example struct {
	faults   *DemoFaults
	metrics  *prometheus.Registry
	pub      *handlertest.Publisher
	shared   *CustomerCache
	store    CustomerStore
	writer   OrderWriter
	enricher *OrdersEnricher
	handler  OrdersHandler
}

// buildExample builds and starts the example under fault; cleanup stops
// the fault (so a failed test still releases what it holds) and the
// shared cache.
func buildExample(t *testing.T, fault Fault) *example {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := cache.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DemoFault = string(fault)
	e := &example{metrics: reg, pub: &handlertest.Publisher{}}
	e.faults = NewDemoFaults(cfg, cache.DefaultConfig(), m, zap.NewNop())
	shared, stopShared := NewCustomerCache(cache.DefaultConfig(), m)
	e.shared = shared
	e.store = NewCustomerStore(shared, e.faults)
	e.writer = NewOrderWriter(NewEnrichedOrderSink(cfg, e.pub), e.faults)
	e.enricher = NewOrdersEnricher(NewCustomerService(NewCustomerDirectory(cfg), e.store), e.writer)
	e.handler = NewOrdersHandler(e.enricher, e.faults)
	if err := e.faults.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stopFaults(e.faults)
		stopShared()
	})
	return e
}

// asHandler runs fn as the engine runs a handler's call: under the
// handler's profile label, which goroutines started from it inherit.
func asHandler(fn func(ctx context.Context)) {
	pprof.Do(context.Background(), pprof.Labels(watchdog.LabelHandler, OrdersEnricherName), fn)
}

// handlerGoroutines is how many goroutines the watchdog attributes to
// the orders-enricher: what kafka_consumer_goroutines reports.
func handlerGoroutines() int {
	counts, _ := watchdog.ByHandler(watchdog.Goroutines())
	return counts[OrdersEnricherName]
}

// TestDemoFaultProvidersDecorateOnlyTheFaultsPart: with no fault the
// injector gets the plain parts themselves; each fault decorates its own
// part (deadlock, errorpath and panic the handler, slow the sink, leak the
// cache) and leaves the others plain. batchstall decorates nothing: it
// shapes the subscription.
func TestDemoFaultProvidersDecorateOnlyTheFaultsPart(t *testing.T) {
	for _, tt := range []struct {
		fault                  Fault
		handler, writer, store bool // decorated
	}{
		{"", false, false, false},
		{FaultBatchStall, false, false, false},
		{FaultLeak, false, false, true},
		{FaultErrorPath, true, false, false},
		{FaultDeadlock, true, false, false},
		{FaultSlow, false, true, false},
		{FaultPanic, true, false, false},
	} {
		t.Run("fault "+string(tt.fault), func(t *testing.T) {
			e := buildExample(t, tt.fault)
			if plain, ok := e.handler.(*OrdersEnricher); (ok && plain == e.enricher) == tt.handler {
				t.Errorf("handler %T, decorated want %v", e.handler, tt.handler)
			}
			if _, plain := e.writer.(*EnrichedOrderSink); plain == tt.writer {
				t.Errorf("writer %T, decorated want %v", e.writer, tt.writer)
			}
			if plain, ok := e.store.(*CustomerCache); (ok && plain == e.shared) == tt.store {
				t.Errorf("store %T, decorated want %v", e.store, tt.store)
			}
		})
	}
}

// ordersBatch is a batch of valid orders of customers 1..n, each in a
// message of its own.
func ordersBatch(n int) []*message.Message {
	var msgs []*message.Message
	for i := range n {
		msgs = append(msgs, orderMsg(int64(i), validOrder(fmt.Sprintf("o-%d", i), fmt.Sprintf("c-%05d", i+1))))
	}
	return msgs
}
