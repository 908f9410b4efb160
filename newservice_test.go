package consumerkit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// newServiceModule is the module path of the services the test makes: not
// this module's, so that nothing of it can be reached by accident.
const newServiceModule = "github.com/acme/payments-consumer"

// flakyInTheFramework is a test of the service that fails now and then in
// this repository as well (about one run in four, with or without -race):
// kafka-go starts a writer goroutine per partition written to, lazily, so
// the goroutines of the slow sink's output topic can appear after the
// baseline is taken. It is skipped here until it is fixed there, so that
// this test fails only for what it checks.
const flakyInTheFramework = "^TestDemoFaultSlowKeepsGoroutinesFlatAndLivenessGreen$"

// TestNewServiceRequiresTheFrameworkBuildsTestsAndRuns runs `consumer new
// service` in a copy of the checkout (so that the test can then change a
// framework package there) twice: with the example, and with
// --no-example. Each new service requires the copy's framework packages
// through a replace and copies none of them; its manifests carry its
// name; it builds, its tests pass, and its command runs on the embedded
// broker and exits 0 on SIGTERM. The one without the example has none of
// the example's code. Last, a framework package of the copy is broken:
// both services' builds fail on it. The cases share the copy and the two
// services, since each service takes a minute or more to build and test.
func TestNewServiceRequiresTheFrameworkBuildsTestsAndRuns(t *testing.T) {
	checkout := copyRepo(t)
	base := t.TempDir()
	full, bare := filepath.Join(base, "payments-consumer"), filepath.Join(base, "payments-bare")
	runIn(t, checkout, "go", "run", "./cmd/consumer", "new", "service", "--module", newServiceModule, "--dir", full)
	runIn(t, checkout, "go", "run", "./cmd/consumer", "new", "service", "--module", newServiceModule, "--dir", bare,
		"--no-example", "--name", "payments-consumer")

	t.Run("the framework is required, not copied", func(t *testing.T) {
		for _, dir := range []string{full, bare} {
			checkRequiresFramework(t, dir, checkout)
			checkManifestsCarryTheName(t, dir, "payments-consumer")
		}
	})
	t.Run("with the example", func(t *testing.T) {
		runIn(t, full, "go", "build", "./...")
		// Without -race: the service's suite (the example's integration
		// tests among them) is this repository's, which CI runs with -race.
		runIn(t, full, "go", "test", "-count=1", "-skip", flakyInTheFramework, "./...")
		r := startBinary(t, buildConsumer(t, full, t.TempDir()), "run", "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--log-level", "info")
		url := r.ready()
		consumertest.Eventually(t, "the example consuming the demo orders", func() bool {
			return consumertest.CounterValue(t, consumertest.Scrape(t, url+"/metrics"), "kafka_consumer_messages_total",
				map[string]string{"topic": "orders", "handler": "orders-enricher", "outcome": "success"}) > 0
		})
		if code := r.terminate(); code != 0 {
			t.Fatalf("exit %d after SIGTERM\nstderr:\n%s", code, r.stderr.String())
		}
		r.waitLog("shutdown complete")
	})
	t.Run("without the example", func(t *testing.T) {
		checkNoExampleCode(t, checkout, bare)
		runIn(t, bare, "go", "build", "./...")
		runIn(t, bare, "make", "test")
		r := startBinary(t, buildConsumer(t, bare, t.TempDir()), "run", "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--log-level", "info")
		r.ready()
		r.waitLog("no subscriptions: register a handler in internal/service/handlers.go")
		if code := r.terminate(); code != 0 {
			t.Fatalf("exit %d after SIGTERM\nstderr:\n%s", code, r.stderr.String())
		}
		r.waitLog("shutdown complete")
	})
	t.Run("a framework change reaches the services", func(t *testing.T) {
		broken := filepath.Join(checkout, "pkg", "registry", "zz_changed.go")
		if err := os.WriteFile(broken, []byte("package registry\n\nvar _ int = \"a framework change\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{full, bare} {
			out, err := goBuild(t, dir)
			if err == nil || !strings.Contains(out, module+"/pkg/registry") || !strings.Contains(out, "zz_changed.go") {
				t.Errorf("go build ./... in %s after breaking the copy's pkg/registry: %v\n%s\nwant it to fail there", dir, err, out)
			}
		}
	})
}

// goBuild runs `go build ./...` in dir and returns its output and error.
func goBuild(t *testing.T, dir string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "./...")
	cmd.Dir, cmd.Env = dir, cleanEnv(t)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
