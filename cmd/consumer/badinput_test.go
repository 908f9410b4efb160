package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// brokerProbe is a listener the test owns, given to the command as its
// broker: it counts the connections made to it and closes them.
type brokerProbe struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
}

func newBrokerProbe(t *testing.T) *brokerProbe {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &brokerProbe{ln: ln}
	p.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed by the test
			}
			p.accepted.Add(1)
			conn.Close()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

func (p *brokerProbe) addr() string { return p.ln.Addr().String() }

// TestRunRejectsBadInputBeforeAnyConnection: `consumer run` with a bad
// flag, a bad setting or a configuration file that does not parse exits 2
// naming the problem, and has connected to nothing by then: the broker it
// was given (a listener this test owns) accepted no connection, and it
// logged nothing — the logger, the admin server ("admin listening") and
// every other component are built only after the configuration is good.
// The control case, the example's run with good input connecting to that
// listener so the probe can see a connection, and the example's own bad
// input (an unknown demo fault), are in example_run_test.go.
func TestRunRejectsBadInputBeforeAnyConnection(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(garbage, []byte("kafka: [brokers\n  - {\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"bad flag", []string{"--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{"bad setting", []string{"--shutdown-timeout", "0s"}, "shutdown.timeout must be > 0"},
		{"unparsable setting", []string{"--max-inflight", "many"}, "--max-inflight"},
		{"config file that does not parse", []string{"--config", garbage}, "config file " + garbage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { rejectedBeforeAnyConnection(t, tt.args, tt.stderr) })
	}
}

// rejectedBeforeAnyConnection runs `consumer run` with args on a broker
// probe and expects exit 2 naming stderr, with no connection made and
// nothing logged.
func rejectedBeforeAnyConnection(t *testing.T, args []string, stderr string) {
	t.Helper()
	probe := newBrokerProbe(t)
	c := startChild(t, append([]string{"run", "--brokers", probe.addr(), "--admin-addr", "127.0.0.1:0", "--log-level", "info"}, args...)...)
	// Exit 2 comes before anything starts; a child still running after
	// this long has started the service.
	state := c.wait(30 * time.Second)
	if state.ExitCode() != exitUsage || !strings.Contains(c.stderr.String(), "invalid configuration") || !strings.Contains(c.stderr.String(), stderr) {
		t.Fatalf("exit %v, want %d and %q on stderr\nstderr: %s", state, exitUsage, stderr, c.stderr.String())
	}
	if n := probe.accepted.Load(); n != 0 {
		t.Fatalf("the broker was contacted %d times before exit 2", n)
	}
	if out := c.stdout.String(); out != "" {
		t.Fatalf("logged before exit 2 (the service was built or started):\n%s", tail(out))
	}
}
