//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// consumerProcess is the consumer binary running against the real broker.
type consumerProcess struct {
	cmd    *exec.Cmd
	logs   *consumertest.Buffer
	exited chan error
}

// startConsumer runs bin with args and KAFKA_BROKERS set; its output is
// shown if the test fails, and it is killed when the test ends.
func startConsumer(t *testing.T, e env, bin string, args ...string) *consumerProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*consumertest.Patience)
	c := &consumerProcess{cmd: exec.CommandContext(ctx, bin, args...), logs: &consumertest.Buffer{}, exited: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+e.brokers)
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			t.Logf("consumer output:\n%s", c.logs.String())
		}
	})
	return c
}

// adminAddr waits for the consumer's "admin listening" log line and returns
// the address it bound: consumers listen on 127.0.0.1:0, so no port is
// handed on by closing a listener.
func (c *consumerProcess) adminAddr(t *testing.T) string {
	t.Helper()
	var addr string
	consumertest.Eventually(t, `the consumer's "admin listening" line`, func() bool {
		c.running(t)
		var ok bool
		addr, ok = adminListening(c.logs.String())
		return ok
	})
	return addr
}

// adminListening returns the address of the first "admin listening"
// line in logs (the consumer's JSON log), if there is one yet.
func adminListening(logs string) (addr string, ok bool) {
	for line := range strings.Lines(logs) {
		var entry struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "admin listening" && entry.Addr != "" {
			return entry.Addr, true
		}
	}
	return "", false
}

// running fails the test at once if the consumer has exited.
func (c *consumerProcess) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-c.exited:
		t.Fatalf("consumer exited early: %v", err)
	default:
	}
}

// stop sends SIGTERM and expects a clean exit.
func (c *consumerProcess) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		if err != nil {
			t.Fatalf("consumer exit after SIGTERM: %v", err)
		}
	case <-time.After(consumertest.Patience):
		t.Fatal("consumer did not exit after SIGTERM")
	}
}
