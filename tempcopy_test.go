package consumerkit

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// commandGuard bounds one go command (a build, a test run) in a temporary
// copy; like consumertest.Patience it turns a hang into a failure, it asserts nothing.
const commandGuard = 10 * time.Minute

// copyRepo copies the module's files into a new temporary directory and
// returns it. In a git work tree the files are those `git ls-files` lists
// (tracked, and untracked ones not ignored: the work in progress);
// elsewhere (a copy made by another test, as remove-example's test makes)
// every file but .git's.
func copyRepo(t *testing.T) string {
	t.Helper()
	names, err := repoFiles()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range names {
		data, err := os.ReadFile(name)
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet in the index
		}
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// repoFiles lists the module's files, relative to its root (the
// directory the root package's tests run in).
func repoFiles() ([]string, error) {
	if _, err := os.Stat(".git"); err == nil {
		out, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
		if err != nil {
			return nil, fmt.Errorf("git ls-files: %w", err)
		}
		return strings.Split(strings.TrimRight(string(out), "\x00"), "\x00"), nil
	}
	var names []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case !d.IsDir():
			names = append(names, p)
		}
		return nil
	})
	return names, err
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
