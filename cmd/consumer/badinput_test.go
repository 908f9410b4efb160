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
		env    []string
		args   []string
		stderr string
	}{
		{"bad flag", nil, []string{"--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{"bad setting", nil, []string{"--shutdown-timeout", "0s"}, "shutdown.timeout must be > 0"},
		{"unparsable setting", nil, []string{"--max-inflight", "many"}, "--max-inflight"},
		{"config file that does not parse", nil, []string{"--config", garbage}, "config file " + garbage},
		{"unreadable token file", []string{"ADMIN_TOKEN_FILE=/nonexistent/token"}, nil,
			`admin.token_file (ADMIN_TOKEN_FILE) "/nonexistent/token": no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { rejectedBeforeAnyConnection(t, tt.env, tt.args, tt.stderr) })
	}
}

// TestRunRefusesSecretFlags (issue 13): a secret on the command line is
// refused, exit 2, naming the environment variables to use instead and
// without repeating the secret, before anything starts.
func TestRunRefusesSecretFlags(t *testing.T) {
	const secret = "hunter2-on-the-command-line"
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"--sasl-password", []string{"--sasl-mechanism", "PLAIN", "--sasl-username", "u", "--sasl-password", secret},
			"--sasl-password is refused: a flag is visible in the process list and in /debug/pprof/cmdline; set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE"},
		{"--admin-token", []string{"--admin-token=" + secret},
			"--admin-token is refused: a flag is visible in the process list and in /debug/pprof/cmdline; set ADMIN_TOKEN or ADMIN_TOKEN_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if stderr := rejectedBeforeAnyConnection(t, nil, tt.args, tt.stderr); strings.Contains(stderr, secret) {
				t.Fatalf("the refusal repeats the secret:\n%s", stderr)
			}
		})
	}
}

// TestRunRefusesAnUnguardedDebugListenerBeyondLoopback (issue 13): the
// debug listener on every interface or on a pod IP without a token is
// refused, exit 2, saying why and how to fix it, before anything starts.
// Its acceptance with a token is TestRunServesTheDebugListenerWithTheToken.
func TestRunRefusesAnUnguardedDebugListenerBeyondLoopback(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		addr string
	}{
		{"DEBUG_ADDR=:6060", []string{"DEBUG_ADDR=:6060"}, nil, ":6060"},
		{"--debug-addr 10.0.0.5:6060", nil, []string{"--debug-addr", "10.0.0.5:6060"}, "10.0.0.5:6060"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stderr := rejectedBeforeAnyConnection(t, tt.env, tt.args, `admin.debug_addr (DEBUG_ADDR) "`+tt.addr+`" is refused without a token`)
			for _, fix := range []string{"ADMIN_TOKEN or ADMIN_TOKEN_FILE", "127.0.0.1:6060", "DEBUG_ALLOW_UNAUTHENTICATED=true"} {
				if !strings.Contains(stderr, fix) {
					t.Errorf("the refusal does not offer %q:\n%s", fix, stderr)
				}
			}
		})
	}
}

// rejectedBeforeAnyConnection runs `consumer run` with args, and env added
// to its environment, on a broker probe and expects exit 2 naming stderr,
// with no connection made and nothing logged; it returns the child's
// stderr. The debug listener is on 127.0.0.1:0 unless env sets
// DEBUG_ADDR.
func rejectedBeforeAnyConnection(t *testing.T, env, args []string, stderr string) string {
	t.Helper()
	probe := newBrokerProbe(t)
	c := startChildWithEnv(t, append([]string{"DEBUG_ADDR=127.0.0.1:0"}, env...),
		append([]string{"run", "--brokers", probe.addr(), "--admin-addr", "127.0.0.1:0", "--log-level", "info"}, args...)...)
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
	return c.stderr.String()
}
