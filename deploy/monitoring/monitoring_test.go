package monitoring_test

import (
	"encoding/json"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	dashboardFile = "grafana-dashboard.json"
	rulesFile     = "prometheus-rules.yaml"
	// frameworkDir and serviceDir are where every kafka_consumer_* metric
	// name is declared, as a string literal handed to client_golang.
	frameworkDir = "../../pkg"
	serviceDir   = "../../internal"
)

// runtimeMetrics are the go_* and process_* families the Go and process
// collectors of pkg/admin.NewRegistry export (client_golang defaults).
// TestRuntimeAllowListIsExportedByTheCollectors keeps this list honest.
var runtimeMetrics = []string{
	"go_gc_duration_seconds",
	"go_gc_gogc_percent",
	"go_gc_gomemlimit_bytes",
	"go_goroutines",
	"go_info",
	"go_memstats_alloc_bytes",
	"go_memstats_alloc_bytes_total",
	"go_memstats_buck_hash_sys_bytes",
	"go_memstats_frees_total",
	"go_memstats_gc_sys_bytes",
	"go_memstats_heap_alloc_bytes",
	"go_memstats_heap_idle_bytes",
	"go_memstats_heap_inuse_bytes",
	"go_memstats_heap_objects",
	"go_memstats_heap_released_bytes",
	"go_memstats_heap_sys_bytes",
	"go_memstats_last_gc_time_seconds",
	"go_memstats_mallocs_total",
	"go_memstats_mcache_inuse_bytes",
	"go_memstats_mcache_sys_bytes",
	"go_memstats_mspan_inuse_bytes",
	"go_memstats_mspan_sys_bytes",
	"go_memstats_next_gc_bytes",
	"go_memstats_other_sys_bytes",
	"go_memstats_stack_inuse_bytes",
	"go_memstats_stack_sys_bytes",
	"go_memstats_sys_bytes",
	"go_sched_gomaxprocs_threads",
	"go_threads",
	"process_cpu_seconds_total",
	"process_max_fds",
	"process_network_receive_bytes_total",
	"process_network_transmit_bytes_total",
	"process_open_fds",
	"process_resident_memory_bytes",
	"process_start_time_seconds",
	"process_virtual_memory_bytes",
	"process_virtual_memory_max_bytes",
}

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

var severities = []string{"info", "warning", "critical"}

// --- the shapes of the files, only as far as the tests look ---

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"` // a string, or {"query": "..."} for query variables
}

// queryText returns a variable's query whichever form it is stored in.
func (v variable) queryText() (string, error) {
	if len(v.Query) == 0 {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v.Query, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &obj); err != nil {
		return "", fmt.Errorf("variable %q: query is neither a string nor an object: %w", v.Name, err)
	}
	return obj.Query, nil
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *datasourceRef `json:"datasource"`
	Targets     []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // the panels of a collapsed row
}

type ruleFile struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	} `yaml:"spec"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// query is one PromQL expression and where it was found, for messages.
type query struct {
	where string
	expr  string
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var r ruleFile
	if err := yaml.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return r
}

// allPanels flattens rows, collapsed or not.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func dashboardQueries(t *testing.T, d dashboard) []query {
	t.Helper()
	var qs []query
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := v.queryText()
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, query{where: fmt.Sprintf("%s: variable %q", dashboardFile, v.Name), expr: q})
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			qs = append(qs, query{where: fmt.Sprintf("%s: panel %q target %s", dashboardFile, p.Title, tg.RefID), expr: tg.Expr})
		}
	}
	return qs
}

func alerts(r ruleFile) []rule {
	var out []rule
	for _, g := range r.Spec.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

func ruleQueries(r ruleFile) []query {
	var qs []query
	for _, rl := range alerts(r) {
		name := rl.Alert
		if name == "" {
			name = rl.Record
		}
		qs = append(qs, query{where: fmt.Sprintf("%s: rule %q", rulesFile, name), expr: rl.Expr})
	}
	return qs
}

var metricRef = regexp.MustCompile(`\b(kafka_consumer_[a-z0-9_]+|go_[a-z0-9_]+|process_[a-z0-9_]+)\b`)

// metricsIn returns the metric names an expression reads, histogram and
// summary series (_bucket, _sum, _count) folded onto their family when the
// family is known.
func metricsIn(expr string, known map[string]bool) []string {
	var out []string
	for _, name := range metricRef.FindAllString(expr, -1) {
		if !known[name] {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && known[base] {
					name = base
					break
				}
			}
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

var exportedName = regexp.MustCompile(`^kafka_consumer_[a-z0-9_]+$`)

// exportedMetrics returns every kafka_consumer_* string literal in the
// non-test Go source under dir. Only real string tokens count: a name in a
// comment (a planned metric, say) is not an exported one.
func exportedMetrics(t *testing.T, dirs ...string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, dir := range dirs {
		collectMetricNames(t, dir, names)
	}
	if len(names) == 0 {
		t.Fatalf("no kafka_consumer_* metric names found under %v: the scan is broken, not the dashboard", dirs)
	}
	return names
}

// collectMetricNames adds the kafka_consumer_* string literals of every
// non-test Go file under dir to names.
func collectMetricNames(t *testing.T, dir string, names map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if e.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var s scanner.Scanner
		var scanErr error
		s.Init(fset.AddFile(path, -1, len(src)), src, func(pos token.Position, msg string) {
			scanErr = fmt.Errorf("%s: %s", pos, msg)
		}, 0)
		for {
			_, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.STRING {
				continue
			}
			v, err := strconv.Unquote(lit)
			if err == nil && exportedName.MatchString(v) {
				names[v] = true
			}
		}
		return scanErr
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
}

// --- tests ---

func TestDashboardAndRulesParse(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("%s: the dashboard needs a uid and a title", dashboardFile)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("%s: schemaVersion %d; want 36 or later (datasource variables by uid)", dashboardFile, d.SchemaVersion)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("%s: want a datasource variable named datasource of Prometheus data sources; got %+v", dashboardFile, v)
	}
	if q, err := vars["topic"].queryText(); err != nil || !strings.HasPrefix(q, "label_values(kafka_consumer_messages_total") || !strings.HasSuffix(q, ", topic)") {
		t.Errorf("%s: want a topic variable from label_values(kafka_consumer_messages_total…, topic); got %q (%v)", dashboardFile, q, err)
	}
	ids := map[int]string{}
	graphs := 0
	for _, p := range allPanels(d.Panels) {
		if prev, ok := ids[p.ID]; ok {
			t.Errorf("%s: panels %q and %q share id %d", dashboardFile, prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			continue
		}
		graphs++
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s: panel %q has no description saying what to look for", dashboardFile, p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("%s: panel %q must use the ${datasource} variable, not a fixed data source", dashboardFile, p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", dashboardFile, p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: panel %q target %s has an empty expr", dashboardFile, p.Title, tg.RefID)
			}
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: panel %q: refId %q is empty or repeated", dashboardFile, p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
		}
	}
	if graphs == 0 {
		t.Errorf("%s: no panels", dashboardFile)
	}

	r := loadRules(t)
	if r.APIVersion != "monitoring.coreos.com/v1" || r.Kind != "PrometheusRule" || r.Metadata.Name == "" {
		t.Errorf("%s: want a named monitoring.coreos.com/v1 PrometheusRule; got %s %s %q", rulesFile, r.APIVersion, r.Kind, r.Metadata.Name)
	}
	if len(r.Spec.Groups) != 1 || r.Spec.Groups[0].Name != "consumerkit" {
		t.Errorf("%s: want the one group consumerkit", rulesFile)
	}
	seen := map[string]bool{}
	rules := alerts(r)
	if len(rules) == 0 {
		t.Fatalf("%s: no rules", rulesFile)
	}
	for _, rl := range rules {
		if rl.Alert == "" {
			t.Errorf("%s: a rule without an alert name (expr %q)", rulesFile, rl.Expr)
			continue
		}
		if seen[rl.Alert] {
			t.Errorf("%s: alert %s defined twice", rulesFile, rl.Alert)
		}
		seen[rl.Alert] = true
		if strings.TrimSpace(rl.Expr) == "" {
			t.Errorf("%s: alert %s has no expr", rulesFile, rl.Alert)
		}
		if _, err := time.ParseDuration(rl.For); err != nil {
			t.Errorf("%s: alert %s: for %q: %v", rulesFile, rl.Alert, rl.For, err)
		}
		if !slices.Contains(severities, rl.Labels["severity"]) {
			t.Errorf("%s: alert %s: severity %q; want one of %v", rulesFile, rl.Alert, rl.Labels["severity"], severities)
		}
		for _, a := range []string{"summary", "description"} {
			if strings.TrimSpace(rl.Annotations[a]) == "" {
				t.Errorf("%s: alert %s has no %s annotation", rulesFile, rl.Alert, a)
			}
		}
	}
}

func TestEveryReferencedMetricIsExported(t *testing.T) {
	exported := exportedMetrics(t, frameworkDir, serviceDir)
	known := map[string]bool{}
	for n := range exported {
		known[n] = true
	}
	for _, n := range runtimeMetrics {
		known[n] = true
	}

	qs := dashboardQueries(t, loadDashboard(t))
	qs = append(qs, ruleQueries(loadRules(t))...)
	used := map[string]bool{}
	for _, q := range qs {
		names := metricsIn(q.expr, known)
		if len(names) == 0 && !strings.Contains(q.expr, "label_values(") {
			t.Errorf("%s reads no metric this test recognises: %q", q.where, q.expr)
		}
		for _, n := range names {
			used[n] = true
			switch {
			case strings.HasPrefix(n, "kafka_consumer_") && !exported[n]:
				t.Errorf("%s reads %s, which no non-test Go file under %s or %s declares", q.where, n, frameworkDir, serviceDir)
			case !strings.HasPrefix(n, "kafka_consumer_") && !slices.Contains(runtimeMetrics, n):
				t.Errorf("%s reads %s, which the Go and process collectors do not export", q.where, n)
			}
		}
	}
	for n := range exported {
		if !used[n] {
			t.Logf("note: %s is exported but neither the dashboard nor the rules read it", n)
		}
	}
}

func TestRuntimeAllowListIsExportedByTheCollectors(t *testing.T) {
	mfs, err := admin.NewRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, mf := range mfs {
		got[mf.GetName()] = true
	}
	for _, n := range runtimeMetrics {
		if strings.HasPrefix(n, "process_") && runtime.GOOS != "linux" {
			continue // the process collector is complete on Linux only
		}
		if !got[n] {
			t.Errorf("%s is in the allow-list, but admin.NewRegistry does not export it", n)
		}
	}
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
	known := exportedMetrics(t, frameworkDir, serviceDir)
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
