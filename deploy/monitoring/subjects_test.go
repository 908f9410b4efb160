package monitoring_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// subjectLabels are the labels that say which thing a metric is about. An
// alert over the metric must name them in its description, or the page says
// "lag is growing" without saying where.
var subjectLabels = map[string][]string{
	"kafka_consumer_lag":                         {"topic", "partition"},
	"kafka_consumer_committed_offset":            {"topic", "partition"},
	"kafka_consumer_fetch_paused":                {"topic", "partition"},
	"kafka_consumer_stalled":                     {"topic", "partition"},
	"kafka_consumer_fetched_total":               {"topic", "partition"},
	"kafka_consumer_released_total":              {"topic", "partition"},
	"kafka_consumer_messages_total":              {"topic", "handler"},
	"kafka_consumer_handler_duration_seconds":    {"topic", "handler"},
	"kafka_consumer_inflight_messages":           {"topic", "handler"},
	"kafka_consumer_oldest_inflight_age_seconds": {"topic", "handler"},
	"kafka_consumer_handler_panics_total":        {"topic", "handler"},
	"kafka_consumer_dead_letter_errors_total":    {"topic"},
	"kafka_consumer_retry_topic_errors_total":    {"topic"},
	"kafka_consumer_partition_blocked":           {"topic", "partition", "reason"},
	"kafka_consumer_batch_size":                  {"handler"},
	"kafka_consumer_batch_flushes_total":         {"handler"},
	"kafka_consumer_cache_requests_total":        {"cache"},
	"kafka_consumer_cache_items":                 {"cache"},
	"kafka_consumer_cache_instances":             {"cache"},
}

var (
	aggregation = regexp.MustCompile(`\b(sum|avg|min|max|count|group|stddev|stdvar|topk|bottomk|quantile|count_values|limitk|limit_ratio)\s*(by|without)?\s*\(`)
	grouping    = regexp.MustCompile(`^\s*(by|without)\s*\(([^)]*)\)`)
)

// droppedLabels returns which of labels some aggregation in expr removes.
func droppedLabels(expr string, labels []string) []string {
	var dropped []string
	drop := func(l string) {
		if !slices.Contains(dropped, l) {
			dropped = append(dropped, l)
		}
	}
	for _, m := range aggregation.FindAllStringSubmatchIndex(expr, -1) {
		open := m[1] - 1 // the "(" ending the match
		mode, list := "", ""
		if m[4] >= 0 { // sum by (…) (…)
			mode = expr[m[4]:m[5]]
			end := strings.IndexByte(expr[open:], ')')
			if end < 0 {
				continue
			}
			list = expr[open+1 : open+end]
		} else { // sum(…) [by (…)]
			depth, i := 0, open
			for ; i < len(expr); i++ {
				if expr[i] == '(' {
					depth++
				} else if expr[i] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			mode = "by" // no clause: every label goes
			if g := grouping.FindStringSubmatch(expr[min(i+1, len(expr)):]); g != nil {
				mode, list = g[1], g[2]
			}
		}
		var names []string
		for _, f := range strings.Split(list, ",") {
			if f = strings.TrimSpace(f); f != "" {
				names = append(names, f)
			}
		}
		for _, l := range labels {
			if (mode == "by") != slices.Contains(names, l) {
				drop(l)
			}
		}
	}
	return dropped
}

func TestEveryAlertNamesItsSubject(t *testing.T) {
	known := exportedMetrics(t, frameworkPackages(t), serviceDir)
	checked := 0
	for _, rl := range alerts(loadRules(t)) {
		var want []string
		for _, n := range metricsIn(rl.Expr, known) {
			for _, l := range subjectLabels[n] {
				if !slices.Contains(want, l) {
					want = append(want, l)
				}
			}
		}
		if len(want) == 0 {
			continue
		}
		checked++
		for _, l := range want {
			ref := fmt.Sprintf("{{ $labels.%s }}", l)
			if !strings.Contains(rl.Annotations["description"], ref) {
				t.Errorf("%s: alert %s reads a metric about a %s but its description does not say which: want %s",
					rulesFile, rl.Alert, l, ref)
			}
		}
		if lost := droppedLabels(rl.Expr, want); len(lost) > 0 {
			t.Errorf("%s: alert %s aggregates away %v, so {{ $labels.… }} would render empty", rulesFile, rl.Alert, lost)
		}
	}
	if checked == 0 {
		t.Errorf("%s: no alert reads a per-topic or per-partition metric; the test checked nothing", rulesFile)
	}
}
