package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// asCommand, set in a child's environment, makes this test binary run the
// command itself (see TestMain) with the child's arguments, so a test can
// signal a real process without signalling the test process, and without
// building a second binary.
const asCommand = "CONSUMERKIT_TEST_RUN_COMMAND"

// child is the command running in a process of its own.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout consumertest.Buffer
	stderr consumertest.Buffer
	exited chan struct{}
	state  *os.ProcessState
}

// startChild runs `consumer args...` as a child process. Its environment
// holds nothing the configuration reads (no KAFKA_BROKERS, LOG_LEVEL, …),
// so the arguments alone decide what it does. A child still running when
// the test ends is killed.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	return startChildWithEnv(t, nil, args...)
}

// startChildWithEnv is startChild with env (KEY=value) added to the
// child's environment.
func startChildWithEnv(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{t: t, exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], args...)
	c.cmd.Env = append([]string{asCommand + "=1"}, env...)
	for _, keep := range []string{"PATH", "HOME", "TMPDIR", "GORACE", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(keep); ok {
			c.cmd.Env = append(c.cmd.Env, keep+"="+v)
		}
	}
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	go func() {
		_ = c.cmd.Wait() // the exit is read from ProcessState
		c.state = c.cmd.ProcessState
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// logs returns the child's JSON log lines so far.
func (c *child) logs() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(c.stdout.String(), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// waitLog waits for a log line for which match is true and returns it;
// it fails at once, with the child's output, if the child exits first.
func (c *child) waitLog(what string, match func(map[string]any) bool) map[string]any {
	c.t.Helper()
	var found map[string]any
	consumertest.Eventually(c.t, "the child to log "+what, func() bool {
		for _, e := range c.logs() {
			if match(e) {
				found = e
				return true
			}
		}
		select {
		case <-c.exited:
			c.t.Fatalf("child exited (%v) before logging %s\nstdout:\n%s\nstderr:\n%s", c.state, what, tail(c.stdout.String()), c.stderr.String())
		default:
		}
		return false
	})
	return found
}

// msg matches a log line by its message.
func msg(m string) func(map[string]any) bool {
	return func(e map[string]any) bool { return e["msg"] == m }
}

// adminAddr waits for the admin server's "admin listening" line and
// returns the address it bound: children listen on 127.0.0.1:0.
func (c *child) adminAddr() string {
	c.t.Helper()
	return c.listening("admin listening")
}

// debugAddr waits for the "debug listening" line and returns the debug
// listener's bound address.
func (c *child) debugAddr() string {
	c.t.Helper()
	return c.listening("debug listening")
}

func (c *child) listening(line string) string {
	c.t.Helper()
	addr, _ := c.waitLog(`"`+line+`"`, msg(line))["addr"].(string)
	if addr == "" {
		c.t.Fatalf("%q without an address", line)
	}
	return addr
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait returns the child's exit state, failing the test if it is still
// running after limit.
func (c *child) wait(limit time.Duration) *os.ProcessState {
	c.t.Helper()
	select {
	case <-c.exited:
		return c.state
	case <-time.After(limit):
		c.t.Fatalf("child still running after %s\nstdout:\n%s\nstderr:\n%s", limit, tail(c.stdout.String()), c.stderr.String())
		return nil
	}
}

func tail(s string) string {
	const n = 4 << 10
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
