package kafka

import (
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/internal/message"
	"github.com/consumerkit/consumerkit/internal/service"
)

// orderID finds an order's id in a record's value: in a valid order, an
// enriched one, and in a malformed one (the demo cuts those in half; the
// id comes first).
var orderID = regexp.MustCompile(`"id":"(o-\d+-\d+)"`)

func orderIDOf(t *testing.T, value []byte) string {
	t.Helper()
	m := orderID.FindSubmatch(value)
	if m == nil {
		t.Fatalf("no order id in %q", value)
	}
	return string(m[1])
}

// TestErrorPathRecordsEveryOrderExactly (F3, through the engine): the
// example's own batch handler with demo fault errorpath meets the demo's
// orders, a share of them malformed the way the demo producer makes them.
// A malformed order takes the handler's early return; the framework
// still gives every order exactly one outcome: dead_lettered equals the
// malformed orders, success the rest, nothing else, and the two add up to
// what was produced. The dead-letter topic holds exactly the malformed
// orders, once each; the output topic exactly the valid ones.
func TestErrorPathRecordsEveryOrderExactly(t *testing.T) {
	const total, partitions = 2000, 4
	b := newTestBroker(t)
	in, out := b.createTopic("orders", partitions), b.createTopic("orders-enriched", partitions)
	dlq := in + ".dlq"
	b.createExactTopic(dlq, partitions)

	scfg := service.Config{InputTopic: in, OutputTopic: out, Customers: 1000, DemoFault: "errorpath"}
	cm, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	customers, stopCache := service.NewCustomerCache(cache.DefaultConfig(), cm)
	t.Cleanup(stopCache)
	faults := service.NewDemoFaults(scfg, cache.DefaultConfig(), cm)
	pub := b.startPublisher()
	handlers := service.NewHandlers(service.NewOrdersEnricher(
		service.NewCustomerService(service.NewCustomerDirectory(scfg), customers, faults),
		service.NewEnrichedOrderSink(scfg, pub, faults), faults))

	// The demo producer's orders and its rule for which are malformed.
	orders, feed := service.NewDemoOrders(scfg), &DemoFeed{cfg: DemoConfig{Rate: 1, BadRate: 0.02}}
	malformed, valid := map[string]bool{}, map[string]bool{}
	b.produceValues(in, total, func(i int) (string, string) {
		k, v := orders.Next(uint64(i))
		if feed.malformed(uint64(i)) {
			v = v[:len(v)/2]
			malformed[orderIDOf(t, v)] = true
		} else {
			valid[orderIDOf(t, v)] = true
		}
		return string(k), string(v)
	})
	if len(malformed) < 20 || len(malformed)+len(valid) != total {
		t.Fatalf("%d malformed and %d valid orders of %d", len(malformed), len(valid), total)
	}

	cfg := testConfig([]Subscription{{Topic: in, Handler: service.OrdersEnricherName, Ordering: OrderingPartition,
		Batch: BatchConfig{Size: 100, Linger: 50 * time.Millisecond}, DeadLetter: DeadLetterConfig{Enabled: true, Topic: dlq}}})
	e := b.startEngine(cfg, handlers)
	count := func(o message.Outcome) int { return outcomes(e, in, service.OrdersEnricherName, o) }
	waitFor(t, "every order's outcome and the commit to the end", func() bool {
		sum := 0
		for _, o := range message.Outcomes() {
			sum += count(o)
		}
		return sum >= total && allCommitted(t, b, cfg.GroupID, in, partitions)()
	})
	for _, o := range message.Outcomes() {
		want := map[message.Outcome]int{message.OutcomeDeadLettered: len(malformed), message.OutcomeSuccess: len(valid)}[o]
		if got := count(o); got != want {
			t.Errorf("%d %s outcomes, want %d (%d orders: %d malformed, %d valid)", got, o, want, total, len(malformed), len(valid))
		}
	}
	dead := map[string]int{}
	for _, m := range b.readAll(dlq, partitions) {
		dead[orderIDOf(t, m.Value)]++
	}
	for id, n := range dead {
		if !malformed[id] || n != 1 {
			t.Fatalf("dead-letter topic holds %s %d times (malformed: %v)", id, n, malformed[id])
		}
	}
	if len(dead) != len(malformed) {
		t.Fatalf("dead-letter topic holds %d orders, want the %d malformed", len(dead), len(malformed))
	}
	enriched := map[string]bool{}
	for _, m := range b.readAll(out, partitions) {
		enriched[orderIDOf(t, m.Value)] = true
	}
	for id := range valid {
		if !enriched[id] {
			t.Fatalf("valid order %s never reached the output topic", id)
		}
	}
	if len(enriched) != len(valid) {
		t.Fatalf("output topic holds %d orders, want the %d valid", len(enriched), len(valid))
	}
	t.Logf("errorpath: %d orders, %d malformed dead-lettered once each, %d valid enriched", total, len(malformed), len(valid))
}
