package consumerkit

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

// commandGuard bounds one go command (a build, a test run) in a temporary
// copy; like consumertest.Patience it turns a hang into a failure, it asserts nothing.
const commandGuard = 10 * time.Minute

// copyRepo copies the module (see scaffoldtest.CopyModule) into a new
// temporary directory and returns it.
func copyRepo(t *testing.T) string {
	t.Helper()
	return scaffoldtest.CopyModule(t, ".")
}

// cleanEnv is this process's environment without anything the
// configuration reads, so a copy's binary and tests run on their defaults
// (the embedded broker) whatever the test runs with.
func cleanEnv(t *testing.T) []string {
	t.Helper()
	names, err := config.EnvNames(ServiceSettings())
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			env = append(env, kv)
		}
	}
	return env
}

// runIn runs name args in dir and returns its combined output; a failure
// fails the test with that output.
func runIn(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, cleanEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s in %s: %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// binaryRun is a consumer binary running in a process of its own.
type binaryRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout consumertest.Buffer
	stderr consumertest.Buffer
	exited chan struct{}
}

// startBinary runs `bin args...` in the clean environment; a process
// still running when the test ends is killed.
func startBinary(t *testing.T, bin string, args ...string) *binaryRun {
	t.Helper()
	r := &binaryRun{t: t, exited: make(chan struct{})}
	r.cmd = exec.Command(bin, args...)
	r.cmd.Env = cleanEnv(t)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		_ = r.cmd.Wait() // the exit is read from ProcessState
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
	})
	return r
}

// waitLog waits for a JSON log line whose msg is msg and returns it.
func (r *binaryRun) waitLog(msg string) map[string]any {
	r.t.Helper()
	var found map[string]any
	consumertest.Eventually(r.t, "the log line "+msg, func() bool {
		exited := false
		select {
		case <-r.exited:
			exited = true // what it logged is complete: read it once more
		default:
		}
		for _, line := range strings.Split(r.stdout.String(), "\n") {
			var e map[string]any
			if json.Unmarshal([]byte(line), &e) == nil && e["msg"] == msg {
				found = e
				return true
			}
		}
		if exited {
			r.t.Fatalf("the binary exited without logging %q\nstdout:\n%s\nstderr:\n%s", msg, r.stdout.String(), r.stderr.String())
		}
		return false
	})
	return found
}

// ready waits until the admin server (on the address it logged) answers
// /readyz with 200, and returns its base URL.
func (r *binaryRun) ready() string {
	r.t.Helper()
	addr, _ := r.waitLog("admin listening")["addr"].(string)
	base := "http://" + addr
	consumertest.Eventually(r.t, "/readyz 200", func() bool { return status(base+"/readyz") == 200 })
	return base
}

// terminate sends SIGTERM and returns the exit code.
func (r *binaryRun) terminate() int {
	r.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		r.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-r.exited:
	case <-time.After(consumertest.Patience):
		r.t.Fatalf("still running %s after SIGTERM\nstdout:\n%s", consumertest.Patience, r.stdout.String())
	}
	return r.cmd.ProcessState.ExitCode()
}
