//go:build e2e && container

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// diagDir is where the image's DIAG_DIR points (Dockerfile, and the
// Deployment's emptyDir); with a read-only root it must be mounted.
const diagDir = "/var/lib/consumerkit/diag"

// commandGuard bounds every podman, make and go command the tests run.
const commandGuard = 10 * time.Minute

// podman runs podman as scripts/image.sh does: with the repository's
// containers.conf where the system has none.
type podman struct{ env []string }

func newPodman(t *testing.T) podman {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatal("podman not found: apt-get install podman runc (.ci/run installs them)")
	}
	conf := strings.TrimSpace(run(t, os.Environ(), "..", "scripts/image.sh", "conf"))
	env := os.Environ()
	if conf != "" {
		env = append(env, "CONTAINERS_CONF="+conf)
	}
	return podman{env: env}
}

// run runs name with args in dir under commandGuard and returns its
// standard output; a failure fails the test with everything it printed.
func run(t *testing.T, env []string, dir, name string, args ...string) string {
	t.Helper()
	out, errOut, err := tryRun(env, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// tryRun is run that returns the failure instead.
func tryRun(env []string, dir, name string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir = env, dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func (p podman) run(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, p.env, "", "podman", args...)
}

// buildImage builds the image as a user does, with `make image`, under a
// tag of this run (removed at the end): the test never runs an image an
// earlier build left behind.
func (p podman) buildImage(t *testing.T) string {
	t.Helper()
	tag := fmt.Sprintf("consumerkit:test-%d-%d", os.Getpid(), time.Now().UnixNano())
	start := time.Now()
	run(t, p.env, "..", "make", "image", "IMAGE="+tag)
	t.Logf("make image: %v", time.Since(start).Round(100*time.Millisecond))
	t.Cleanup(func() {
		if _, errOut, err := tryRun(p.env, "", "podman", "rmi", "-f", tag); err != nil {
			t.Errorf("remove image %s: %v\n%s", tag, err, errOut)
		}
	})
	return tag
}

// container is one `podman run -d` of the image.
type container struct {
	p    podman
	name string
}

// start runs the image detached under a name of this run, with podmanArgs
// before the image and args after it; the container is removed (killed
// if need be) when the test ends, and its log shown if the test failed.
func (p podman) start(t *testing.T, image string, podmanArgs []string, args ...string) *container {
	t.Helper()
	c := &container{p: p, name: fmt.Sprintf("consumerkit-%s-%d-%d", strings.ToLower(t.Name()), os.Getpid(), time.Now().UnixNano())}
	c.name = strings.NewReplacer("/", "-", "_", "-").Replace(c.name)
	t.Cleanup(func() {
		if t.Failed() {
			if out, errOut, err := tryRun(p.env, "", "podman", "logs", c.name); err == nil {
				t.Logf("container %s output:\n%s%s", c.name, out, errOut)
			}
		}
		if _, errOut, err := tryRun(p.env, "", "podman", "rm", "-f", "-t", "0", c.name); err != nil {
			t.Errorf("remove container %s: %v\n%s", c.name, err, errOut)
		}
	})
	all := append([]string{"run", "-d", "--name", c.name}, podmanArgs...)
	p.run(t, append(append(all, image), args...)...)
	return c
}

// logs is everything the container wrote, stdout and stderr.
func (c *container) logs(t *testing.T) string {
	t.Helper()
	out, errOut, err := tryRun(c.p.env, "", "podman", "logs", c.name)
	if err != nil {
		t.Fatalf("podman logs %s: %v\n%s", c.name, err, errOut)
	}
	return out + errOut
}

// inspect is one field of `podman inspect`, by Go template.
func (c *container) inspect(t *testing.T, format string) string {
	t.Helper()
	return strings.TrimSpace(c.p.run(t, "inspect", "--format", format, c.name))
}

// running fails the test at once if the container has exited.
func (c *container) running(t *testing.T) {
	t.Helper()
	if c.inspect(t, "{{.State.Running}}") != "true" {
		t.Fatalf("container %s exited early (code %s)", c.name, c.inspect(t, "{{.State.ExitCode}}"))
	}
}

// stop is the kubelet's way: SIGTERM, SIGKILL 30 s later. It returns the
// exit code.
func (c *container) stop(t *testing.T) int {
	t.Helper()
	c.p.run(t, "stop", "-t", "30", c.name)
	return c.exitCode(t)
}

// wait waits (bounded) for the container to exit and returns its code.
func (c *container) wait(t *testing.T) int {
	t.Helper()
	consumertest.Eventually(t, "container "+c.name+" to exit", func() bool {
		return c.inspect(t, "{{.State.Running}}") == "false"
	})
	return c.exitCode(t)
}

func (c *container) exitCode(t *testing.T) int {
	t.Helper()
	s := c.inspect(t, "{{.State.ExitCode}}")
	code, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("exit code of %s: %q", c.name, s)
	}
	return code
}
