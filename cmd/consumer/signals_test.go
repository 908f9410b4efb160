package main

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// readyChild starts `consumer run` on the embedded broker with the admin
// and debug listeners on 127.0.0.1:0, waits until /readyz answers 200 and
// returns the child and the admin base URL. Ready means Run is under way, so the
// signal handler is installed. The example's demo feed, when there is
// one, produces 100 orders a second (an environment variable, which a
// service without it ignores).
func readyChild(t *testing.T, flags ...string) (*child, string) {
	t.Helper()
	return readyChildWithEnv(t, nil, flags...)
}

// readyChildWithEnv is readyChild with env (KEY=value) added to the
// child's environment; DEBUG_ADDR there wins over the default
// 127.0.0.1:0.
func readyChildWithEnv(t *testing.T, env []string, flags ...string) (*child, string) {
	t.Helper()
	args := append([]string{"run", "--admin-addr", "127.0.0.1:0", "--log-level", "info"}, flags...)
	c := startChildWithEnv(t, append([]string{"DEMO_RATE=100", "DEBUG_ADDR=127.0.0.1:0"}, env...), args...)
	base := "http://" + c.adminAddr()
	consumertest.Eventually(t, "the service to answer /readyz 200", func() bool { return status(base+"/readyz") == http.StatusOK })
	return c, base
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRunExitsZeroOnSIGTERM runs the real command in a process of its own,
// waits until it is ready, sends it SIGTERM and expects a clean shutdown
// and exit code 0.
func TestRunExitsZeroOnSIGTERM(t *testing.T) {
	c, _ := readyChild(t)
	c.signal(syscall.SIGTERM)
	state := c.wait(consumertest.Patience)
	if state.ExitCode() != exitOK {
		t.Fatalf("exit %v after SIGTERM\nstderr: %s", state, c.stderr.String())
	}
	c.waitLog(`"shutdown complete"`, msg("shutdown complete"))
}

// TestSecondInterruptKillsAtOnce: the first SIGINT starts the graceful
// shutdown; a second one ends the process at once, the default way (killed
// by SIGINT), instead of waiting for the shutdown to finish. The graceful
// path is made slow the way an operator meets it: a 60s CPU profile is
// being served by the debug listener when the signal arrives, and the
// admin server, stopped last, waits for it. Once every other component has stopped, the second
// SIGINT must end the process well before that (10s, against 40s or
// more).
func TestSecondInterruptKillsAtOnce(t *testing.T) {
	c, _ := readyChild(t, "--shutdown-timeout", "90s")
	debug := "http://" + c.debugAddr()
	profiling := make(chan struct{})
	go func() {
		defer close(profiling)
		resp, err := http.Get(debug + "/debug/pprof/profile?seconds=60")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body) // cut short when the child dies
			resp.Body.Close()
		}
	}()
	consumertest.Eventually(t, "the profile to start", func() bool { return strings.Contains(goroutineDump(debug), "net/http/pprof.Profile") })

	c.signal(syscall.SIGINT)
	c.waitLog(`"stopped" for the broker, the last before admin`, func(e map[string]any) bool {
		return e["msg"] == "stopped" && e["component"] == "broker"
	})
	select {
	case <-c.exited:
		t.Fatalf("the graceful shutdown ended (%v) before the second SIGINT: nothing slowed it", c.state)
	default:
	}
	sent := time.Now()
	c.signal(syscall.SIGINT)
	state := c.wait(consumertest.Patience)
	took := time.Since(sent)
	<-profiling
	ws, _ := state.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("after the second SIGINT the process ended with %v, want killed by SIGINT (the graceful path exits 0 or 1)\nstderr: %s", state, c.stderr.String())
	}
	if took > 10*time.Second {
		t.Fatalf("the process died %s after the second SIGINT; it must die at once", took)
	}
	t.Logf("killed by %v %s after the second SIGINT", ws.Signal(), took.Round(time.Millisecond))
}

func goroutineDump(base string) string {
	resp, err := http.Get(base + "/debug/pprof/goroutine?debug=2")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // a cut-off dump is retried by the caller
	return string(b)
}
