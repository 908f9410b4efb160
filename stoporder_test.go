package consumerkit

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestWireBuiltAppStopsAdminLastThenCleanups proves the shutdown order of
// the app InitializeApp builds, from its own log lines: readiness off
// ("shutdown requested") before anything stops; then the components in
// reverse start order — the demo feed first, the watchdog while the engine
// still runs, the demo faults before the engine (so a deadlocked handler
// is released), the engine before the publisher its final batch flush
// writes through, every client before the broker, and the admin server
// last, both its listeners (admin and debug) closed by then; and only
// after Run returned, the Wire cleanups: ccache's worker goroutine of the
// shared customer cache is still running when Run has returned and gone
// after the cleanup.
func TestWireBuiltAppStopsAdminLastThenCleanups(t *testing.T) {
	cfg := defaultConfig()
	cfg.Log.Level = "info"
	s := startApp(t, cfg)
	consumertest.Eventually(t, "orders processed", func() bool {
		return s.outcome("success") >= 100
	})
	if n := ccacheWorkers(); n != 1 {
		t.Fatalf("%d ccache workers while running, want the shared customer cache's one", n)
	}
	if code := status(s.debug + "/debug/consumer"); code != http.StatusOK {
		t.Fatalf("GET /debug/consumer on the debug listener: %d, want 200", code)
	}
	if err := s.Shutdown(); err != nil {
		t.Fatalf("Run after the signal: %v", err)
	}
	for _, base := range []string{s.base, s.debug} {
		ln, err := net.Listen("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatalf("%s still held once Run returned: %v", base, err)
		}
		ln.Close()
	}

	var order []string
	requested, complete := -1, -1
	for i, e := range s.logs.entries() {
		if e["logger"] != "app" {
			continue
		}
		switch e["msg"] {
		case "shutdown requested":
			requested = i
		case "stopped":
			if requested < 0 {
				t.Fatalf("%v stopped before shutdown was requested", e["component"])
			}
			name, _ := e["component"].(string)
			order = append(order, name)
		case "stop failed", "stop overran the shutdown timeout":
			t.Fatalf("clean shutdown logged %v", e)
		case "shutdown complete":
			complete = i
		}
	}
	want := []string{"demo-producer", "watchdog", "demo-fault", "consumer", "publisher", "broker", "admin"}
	if !slices.Equal(order, want) {
		t.Fatalf("components stopped in the order\n%v\nwant\n%v\nlogs:\n%s", order, want, s.logs.text())
	}
	if complete < 0 {
		t.Fatal("no \"shutdown complete\" line")
	}
	if n := ccacheWorkers(); n != 1 {
		t.Fatalf("%d ccache workers once Run returned: the cache must outlive every component and stop only in the cleanup", n)
	}
	s.Cleanup()
	consumertest.Eventually(t, "the cleanup to stop ccache's worker", func() bool { return ccacheWorkers() == 0 })
}
