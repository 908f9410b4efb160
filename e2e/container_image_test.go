//go:build e2e && container

package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestContainerImageIsNonrootWithNoShell: the image `make image` builds
// runs /consumer run as 65532:65532 unless told otherwise, stops on
// SIGTERM, points DIAG_DIR at /var/lib/consumerkit/diag, and has no shell
// to run anything else with.
func TestContainerImageIsNonrootWithNoShell(t *testing.T) {
	p := newPodman(t)
	image := p.buildImage(t)
	config := strings.TrimSpace(p.run(t, "image", "inspect", "--format",
		`{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.StopSignal}}`, image))
	if want := `65532:65532 ["/consumer"] ["run"] SIGTERM`; config != want {
		t.Errorf("image config %s, want %s", config, want)
	}
	env := p.run(t, "image", "inspect", "--format", `{{range .Config.Env}}{{println .}}{{end}}`, image)
	if !slices.Contains(strings.Split(env, "\n"), "DIAG_DIR="+diagDir) {
		t.Errorf("image environment has no DIAG_DIR=%s:\n%s", diagDir, env)
	}
	for _, shell := range []string{"/bin/sh", "/bin/bash", "/busybox"} {
		out, errOut, err := tryRun(p.env, "", "podman", "run", "--rm", "--network", "none", "--entrypoint", shell, image, "-c", "true")
		if err == nil || !strings.Contains(errOut, "no such file or directory") {
			t.Errorf("%s in the image: %v\n%s%s", shell, err, out, errOut)
		}
	}
}
