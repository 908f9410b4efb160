package consumertest

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// testRegistry holds a counter vector whose label values are prefixes of
// one another and carry the characters a text parser trips on, a gauge
// vector and a histogram.
func testRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	msgs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_messages_total", Help: "h"}, []string{"topic", "outcome"})
	lag := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "test_lag", Help: "h"}, []string{"topic", "partition"})
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "test_seconds", Help: "h"})
	reg.MustRegister(msgs, lag, hist)
	msgs.WithLabelValues("orders", "success").Add(1)
	msgs.WithLabelValues("orders.retry", "success").Add(10)    // "orders" is a prefix
	msgs.WithLabelValues(`or"ders} 7`, "success").Add(100)     // quotes, a brace, a space and a number
	msgs.WithLabelValues("orders", "dead_lettered").Add(1000)  // same topic, other outcome
	msgs.WithLabelValues("orders", "dead_lettered_x").Add(1e4) // an outcome the other is a prefix of
	lag.WithLabelValues("orders", "0").Set(5)
	lag.WithLabelValues("orders", "1").Set(7)
	lag.WithLabelValues("orders.retry", "0").Set(11)
	hist.Observe(1)
	return reg
}

// TestCounterValueMatchesEveryLabelExactly: a series is found by the exact
// value of every label, never by a prefix or a substring of its text.
func TestCounterValueMatchesEveryLabelExactly(t *testing.T) {
	reg := testRegistry(t)
	for _, tt := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"topic": "orders", "outcome": "success"}, 1},
		{map[string]string{"topic": "orders.retry", "outcome": "success"}, 10},
		{map[string]string{"topic": `or"ders} 7`, "outcome": "success"}, 100},
		{map[string]string{"topic": "orders", "outcome": "dead_lettered"}, 1000},
		{map[string]string{"topic": "orders", "outcome": "failed"}, 0}, // not created yet: 0
	} {
		r := &recorder{}
		if got := CounterValue(r, reg, "test_messages_total", tt.labels); got != tt.want || r.failures() != "" {
			t.Errorf("CounterValue%s = %v (failures %q), want %v", formatLabels(tt.labels), got, r.failures(), tt.want)
		}
	}
}

// TestSumAndSamplesSelectByTheGivenLabelsOnly: the labels given match
// exactly; the others take any value.
func TestSumAndSamplesSelectByTheGivenLabelsOnly(t *testing.T) {
	reg := testRegistry(t)
	r := &recorder{}
	if got := Sum(r, reg, "test_messages_total", map[string]string{"outcome": "success"}); got != 111 {
		t.Errorf("Sum over outcome=success = %v, want 111", got)
	}
	if got := Sum(r, reg, "test_messages_total", map[string]string{"topic": "orders"}); got != 11001 {
		t.Errorf("Sum over topic=orders = %v, want 11001", got)
	}
	if got := Sum(r, reg, "test_not_there", nil); got != 0 {
		t.Errorf("Sum of a missing family = %v, want 0", got)
	}
	lags := map[string]float64{}
	for _, s := range Samples(r, reg, "test_lag", map[string]string{"topic": "orders"}) {
		lags[s.Labels["partition"]] = s.Value
	}
	if len(lags) != 2 || lags["0"] != 5 || lags["1"] != 7 {
		t.Errorf("lag of orders per partition = %v, want 0:5 1:7", lags)
	}
	if f := r.failures(); f != "" {
		t.Fatalf("reads that are right failed: %s", f)
	}
}

// TestMetricReadsFailOnMistakesThatWouldMatchNothing: a misspelt or
// missing label name, the wrong metric type, a gauge series that does not
// exist and a histogram read as one value all fail, saying what is wrong;
// a test expecting 0 could not fail otherwise.
func TestMetricReadsFailOnMistakesThatWouldMatchNothing(t *testing.T) {
	reg := testRegistry(t)
	for _, tt := range []struct {
		name string
		read func(TB)
		want string
	}{
		{"misspelt label in Sum", func(r TB) { Sum(r, reg, "test_messages_total", map[string]string{"outcom": "success"}) },
			`metric test_messages_total has the labels [outcome topic], not "outcom"`},
		{"a label left out of CounterValue", func(r TB) { CounterValue(r, reg, "test_messages_total", map[string]string{"outcome": "success"}) },
			"metric test_messages_total has the labels [outcome topic]; name each of them, not [outcome]"},
		{"a gauge read as a counter", func(r TB) {
			CounterValue(r, reg, "test_lag", map[string]string{"topic": "orders", "partition": "0"})
		}, "metric test_lag is a GAUGE, not a COUNTER"},
		{"a gauge series that does not exist", func(r TB) {
			GaugeValue(r, reg, "test_lag", map[string]string{"topic": "orders", "partition": "9"})
		}, `gauge test_lag{partition="9",topic="orders"} has no series`},
		{"a histogram as samples", func(r TB) { Samples(r, reg, "test_seconds", nil) },
			"metric test_seconds: a HISTOGRAM has no single value; read it from Gather"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			tt.read(r)
			if len(r.fatals) != 1 || r.fatals[0] != tt.want {
				t.Fatalf("failures %q, want exactly %q", r.fatals, tt.want)
			}
		})
	}
	r := &recorder{}
	if got := GaugeValue(r, reg, "test_lag", map[string]string{"topic": "orders.retry", "partition": "0"}); got != 11 || r.failures() != "" {
		t.Fatalf("GaugeValue = %v (failures %q), want 11", got, r.failures())
	}
}

// TestGatherErrorsFail: a registry that cannot gather fails the read.
func TestGatherErrorsFail(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "test_ok", Help: "h"}, func() float64 { return 1 }))
	broken := prometheus.Gatherers{reg, reg} // the same family twice does not gather
	r := &recorder{}
	CounterValue(r, broken, "test_ok", nil)
	if len(r.fatals) != 1 || !strings.HasPrefix(r.fatals[0], "gather metrics: ") {
		t.Fatalf("failures %q, want one saying the gather failed", r.fatals)
	}
}
