package monitoring_test

import (
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

	"github.com/consumerkit/consumerkit/pkg/admin"
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

func TestEveryReferencedMetricIsExported(t *testing.T) {
	frameworkDir := frameworkPackages(t)
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
