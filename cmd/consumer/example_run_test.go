package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestConfigPrintsTheServicesSections: `consumer config` prints the whole
// effective configuration, the example's own sections included, and the
// subscription its handler registered.
func TestConfigPrintsTheServicesSections(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"config", "--demo-rate", "7"}, &out, &errOut); code != exitOK {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
	for _, want := range []string{"kafka:\n", "service:\n  output_topic: orders.enriched\n", "demo:\n  rate: 7\n",
		"  subscriptions:\n    - topic: orders\n      handler: orders-enricher\n"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("config output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunRejectsAnUnknownDemoFaultBeforeAnyConnection: the example's own
// settings are checked with the framework's, before anything is built.
func TestRunRejectsAnUnknownDemoFaultBeforeAnyConnection(t *testing.T) {
	rejectedBeforeAnyConnection(t, nil, []string{"--allow-demo-fault", "--demo-fault", "meltdown"}, `service.demo_fault "meltdown"`)
}

// TestRunWithGoodInputConnectsToTheBroker is the control of
// TestRunRejectsBadInputBeforeAnyConnection: the same command with good
// input connects to the probe (the example subscribes a topic), so the
// probe can see a connection and its silence means something.
func TestRunWithGoodInputConnectsToTheBroker(t *testing.T) {
	probe := newBrokerProbe(t)
	c := startChild(t, "run", "--brokers", probe.addr(), "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--log-level", "info")
	c.adminAddr()
	consumertest.Eventually(t, "the command to connect to the broker it was given (else the probe proves nothing)",
		func() bool { return probe.accepted.Load() > 0 })
}
