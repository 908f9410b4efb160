package consumertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// exampleT stands in for the *testing.T a real test passes: it prints
// what would fail the test.
type exampleT struct{}

func (exampleT) Helper()                           {}
func (exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (exampleT) Fatalf(format string, args ...any) { fmt.Printf("FATAL: "+format+"\n", args...) }

// outcomes is a registry as an engine fills it.
func outcomes() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	msgs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_consumer_messages_total", Help: "Messages by outcome."},
		[]string{"topic", "handler", "outcome"})
	lag := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kafka_consumer_lag", Help: "Lag by partition."}, []string{"topic", "partition"})
	reg.MustRegister(msgs, lag)
	msgs.WithLabelValues("orders", "enricher", "success").Add(41)
	msgs.WithLabelValues("orders", "enricher", "retried").Add(1)
	msgs.WithLabelValues("orders", "enricher", "dead_lettered").Add(2)
	lag.WithLabelValues("orders", "0").Set(3)
	return reg
}

func ExampleEventually() {
	t := exampleT{} // in a test: its *testing.T
	var processed atomic.Int64
	done := make(chan struct{})
	go func() { // the work a test waits for
		defer close(done)
		for range 100 {
			processed.Add(1)
		}
	}()
	consumertest.Eventually(t, "100 messages processed", func() bool { return processed.Load() == 100 })
	<-done
	fmt.Println("processed", processed.Load())
	// Output: processed 100
}

func ExampleCounterValue() {
	t, reg := exampleT{}, outcomes()
	fmt.Println(consumertest.CounterValue(t, reg, "kafka_consumer_messages_total",
		map[string]string{"topic": "orders", "handler": "enricher", "outcome": "success"}))
	fmt.Println(consumertest.CounterValue(t, reg, "kafka_consumer_messages_total",
		map[string]string{"topic": "orders", "handler": "enricher", "outcome": "failed"})) // not created yet
	// Output:
	// 41
	// 0
}

func ExampleGaugeValue() {
	t, reg := exampleT{}, outcomes()
	fmt.Println(consumertest.GaugeValue(t, reg, "kafka_consumer_lag", map[string]string{"topic": "orders", "partition": "0"}))
	consumertest.GaugeValue(t, reg, "kafka_consumer_lag", map[string]string{"topic": "orders", "partition": "1"})
	// Output:
	// 3
	// FATAL: gauge kafka_consumer_lag{partition="1",topic="orders"} has no series
}

func ExampleSum() {
	t, reg := exampleT{}, outcomes()
	handled := consumertest.Sum(t, reg, "kafka_consumer_messages_total", map[string]string{"topic": "orders"})
	fmt.Println(handled)
	consumertest.Sum(t, reg, "kafka_consumer_messages_total", map[string]string{"topik": "orders"}) // a typo fails
	// Output:
	// 44
	// FATAL: metric kafka_consumer_messages_total has the labels [handler outcome topic], not "topik"
}

func ExampleSamples() {
	t, reg := exampleT{}, outcomes()
	for _, s := range consumertest.Samples(t, reg, "kafka_consumer_messages_total", map[string]string{"outcome": "dead_lettered"}) {
		fmt.Println(s.Labels["handler"], s.Value)
	}
	// Output: enricher 2
}

func ExampleScrape() {
	t := exampleT{}
	admin := httptest.NewServer(promhttp.HandlerFor(outcomes(), promhttp.HandlerOpts{})) // a service's admin server
	defer admin.Close()
	metrics := consumertest.Scrape(t, admin.URL+"/metrics")
	fmt.Println(consumertest.CounterValue(t, metrics, "kafka_consumer_messages_total",
		map[string]string{"topic": "orders", "handler": "enricher", "outcome": "retried"}))
	// Output: 1
}

func ExampleParse() {
	t := exampleT{}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(outcomes(), promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	resp := rec.Result()
	defer resp.Body.Close()
	metrics := consumertest.Parse(t, resp)
	fmt.Println(consumertest.GaugeValue(t, metrics, "kafka_consumer_lag", map[string]string{"topic": "orders", "partition": "0"}))
	// Output: 3
}
