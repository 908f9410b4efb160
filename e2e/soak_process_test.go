//go:build e2e && soak

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// soakInstance is one `consumer run` of the soak, its output in a log
// file of the run's output directory (an hour of logs is kept out of
// memory, and stays for a person to read).
type soakInstance struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	admin   string // host:port of its admin server
}

// startSoakInstance runs bin with the configuration file cfg, the brokers
// and the admin address given, the debug listener off, and waits for its
// admin server. A process still running when the test ends is killed.
func startSoakInstance(t *testing.T, name, bin, cfg, brokers, adminAddr, logPath string) *soakInstance {
	t.Helper()
	logs, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	in := &soakInstance{name: name, cmd: exec.Command(bin, "run", "--config", cfg), logPath: logPath, exited: make(chan struct{})}
	in.cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+brokers, "ADMIN_ADDR="+adminAddr, "DEBUG_ADDR=", "LOG_FORMAT=json")
	in.cmd.Stdout, in.cmd.Stderr = logs, logs
	if err := in.cmd.Start(); err != nil {
		_ = logs.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = in.cmd.Wait() // the exit is read from ProcessState
		_ = logs.Close()
		close(in.exited)
	}()
	t.Cleanup(func() {
		if in.running() {
			_ = in.cmd.Process.Kill()
			<-in.exited
		}
	})
	consumertest.Eventually(t, name+`'s "admin listening" line`, func() bool {
		if !in.running() {
			t.Fatalf("%s exited at start (%v); log %s:\n%s", name, in.cmd.ProcessState, logPath, in.tail())
		}
		data, _ := os.ReadFile(logPath)
		var ok bool
		in.admin, ok = adminListening(string(data))
		return ok
	})
	return in
}

// running reports whether the process has not exited.
func (in *soakInstance) running() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// metricsURL is its /metrics.
func (in *soakInstance) metricsURL() string { return "http://" + in.admin + "/metrics" }

// stop sends SIGTERM and returns an error unless the process exits 0
// within consumertest.Patience.
func (in *soakInstance) stop() error {
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM %s: %w", in.name, err)
	}
	select {
	case <-in.exited:
	case <-time.After(consumertest.Patience):
		return fmt.Errorf("%s still running %v after SIGTERM; log %s", in.name, consumertest.Patience, in.logPath)
	}
	if code := in.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("%s exited %d after SIGTERM, want 0; log %s:\n%s", in.name, code, in.logPath, in.tail())
	}
	return nil
}

// tail is the end of its log, for a failure message.
func (in *soakInstance) tail() string {
	data, _ := os.ReadFile(in.logPath)
	const keep = 4 << 10
	if len(data) > keep {
		data = data[len(data)-keep:]
	}
	return string(data)
}
