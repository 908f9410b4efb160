package consumertest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Sample is one series of a counter, gauge or untyped metric family.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Samples returns the series of the family name in g whose labels include
// labels: each named label with exactly that value, any other label with
// any value; in the order g gathers them. A family g does not have (yet)
// has no series. It fails t when g cannot gather, when the family is a
// histogram or summary, or when labels names a label the family's series
// do not have: a misspelt label would match nothing, and a test expecting
// nothing could not fail.
func Samples(t TB, g prometheus.Gatherer, name string, labels map[string]string) []Sample {
	t.Helper()
	mf, ok := family(t, g, name)
	if !ok {
		return nil
	}
	if names := labelNames(mf); len(mf.GetMetric()) > 0 {
		for l := range labels {
			if !slices.Contains(names, l) {
				t.Fatalf("metric %s has the labels %v, not %q", name, names, l)
				return nil
			}
		}
	}
	var out []Sample
	for _, m := range mf.GetMetric() {
		v, err := value(mf.GetType(), m)
		if err != nil {
			t.Fatalf("metric %s: %v", name, err)
			return nil
		}
		s := Sample{Labels: map[string]string{}, Value: v}
		for _, lp := range m.GetLabel() {
			s.Labels[lp.GetName()] = lp.GetValue()
		}
		if matches(s.Labels, labels) {
			out = append(out, s)
		}
	}
	return out
}

// Sum adds up the values of Samples(t, g, name, labels): 0 when no series
// matches.
func Sum(t TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	var sum float64
	for _, s := range Samples(t, g, name, labels) {
		sum += s.Value
	}
	return sum
}

// CounterValue returns the value of the counter series name{labels}, where
// labels names every label of the family, each with its exact value. A
// series that does not exist counts 0: a counter vector exports a series
// only once it is first used. It fails t when g cannot gather, when name
// is not a counter, or when labels does not name exactly the family's
// labels (use Sum to add series up).
func CounterValue(t TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	v, _ := series(t, g, name, dto.MetricType_COUNTER, labels)
	return v
}

// GaugeValue returns the value of the gauge series name{labels}, like
// CounterValue, except that a series that does not exist fails t: a gauge
// has no implied value.
func GaugeValue(t TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	v, found := series(t, g, name, dto.MetricType_GAUGE, labels)
	if !found {
		t.Fatalf("gauge %s%s has no series", name, formatLabels(labels))
	}
	return v
}

// series finds the one series of name, of type want, whose labels are
// exactly labels.
func series(t TB, g prometheus.Gatherer, name string, want dto.MetricType, labels map[string]string) (float64, bool) {
	t.Helper()
	mf, ok := family(t, g, name)
	if !ok {
		return 0, false
	}
	if mf.GetType() != want {
		t.Fatalf("metric %s is a %s, not a %s", name, mf.GetType(), want)
		return 0, false
	}
	if names := labelNames(mf); len(mf.GetMetric()) > 0 && !slices.Equal(names, slices.Sorted(maps.Keys(labels))) {
		t.Fatalf("metric %s has the labels %v; name each of them, not %v", name, names, slices.Sorted(maps.Keys(labels)))
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if maps.Equal(got, labels) {
			v, err := value(mf.GetType(), m)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
				return 0, false
			}
			return v, true
		}
	}
	return 0, false
}

// family gathers g and returns the family called name, if any.
func family(t TB, g prometheus.Gatherer, name string) (*dto.MetricFamily, bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
		return nil, false
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf, true
		}
	}
	return nil, false
}

// labelNames are the label names of mf's series, sorted; every series of
// a family has the same ones.
func labelNames(mf *dto.MetricFamily) []string {
	set := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, lp := range m.GetLabel() {
			set[lp.GetName()] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func value(typ dto.MetricType, m *dto.Metric) (float64, error) {
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue(), nil
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue(), nil
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue(), nil
	default:
		return 0, fmt.Errorf("a %s has no single value; read it from Gather", typ)
	}
}

func matches(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// formatLabels writes labels as {a="x",b="y"}, sorted, for messages.
func formatLabels(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
