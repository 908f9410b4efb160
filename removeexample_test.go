package consumerkit

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveExampleLeavesAServiceThatBuildsTestsAndRuns runs `make
// remove-example` (scripts/remove-example.sh) in a copy of the module and
// checks what the issue promises of the result: the example is gone, the
// rest builds and vets, the tests of what remains pass (the root package,
// internal/, cmd/ and deploy/: the framework's own are untouched by the
// script), and `consumer run` starts on the embedded broker with zero
// subscriptions, ready, saying where handlers are registered, and exits 0
// on SIGTERM. It takes a minute or two: it builds and tests a module.
func TestRemoveExampleLeavesAServiceThatBuildsTestsAndRuns(t *testing.T) {
	dir := copyRepo(t)
	runIn(t, dir, "make", "remove-example")
	for _, gone := range []string{"internal/service/enricher.go", "internal/service/demo_feed.go", "app_test.go", "cmd/consumer/example_run_test.go",
		"internal/service/enricher_fuzz_test.go", "internal/service/testdata"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", gone, err)
		}
	}
	runIn(t, dir, "go", "build", "./...")
	runIn(t, dir, "go", "vet", "./...")
	runIn(t, dir, "go", "tool", "wire", "diff", ".")
	runIn(t, dir, "go", "test", "-count=1", ".", "./internal/...", "./cmd/...", "./deploy/...")

	bin := buildConsumer(t, dir, filepath.Join(dir, "bin"))
	r := startBinary(t, bin, "run", "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--log-level", "info")
	r.ready()
	r.waitLog("no subscriptions: register a handler in internal/service/handlers.go")
	if code := r.terminate(); code != 0 {
		t.Fatalf("exit %d after SIGTERM\nstderr:\n%s", code, r.stderr.String())
	}
	r.waitLog("shutdown complete")
}
