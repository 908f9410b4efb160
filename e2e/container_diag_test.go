//go:build e2e && container

package e2e

import (
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestContainerSavesEvidenceInTheMountedDiagDir: with a read-only root,
// DIAG_DIR (the image's /var/lib/consumerkit/diag) is where a volume
// goes. The deadlock demo fault, on the embedded broker, fails liveness:
// with a tmpfs there the evidence is saved under it; without one the
// capture fails on the read-only filesystem and says so. Either way the
// container stops with exit code 0.
func TestContainerSavesEvidenceInTheMountedDiagDir(t *testing.T) {
	p := newPodman(t)
	image := p.buildImage(t)
	deadlock := []string{"run", "--demo-fault", "deadlock", "--handler-timeout", "1s", "--stall-timeout", "3s"}
	for _, tt := range []struct {
		name    string
		mount   []string
		msg     string
		field   string
		contain string
	}{
		{"tmpfs", []string{"--tmpfs", diagDir}, "liveness failed; evidence captured (goroutine dump, consumer state, heap profile)", "path", diagDir + "/"},
		{"no mount", nil, "liveness failed; evidence capture failed", "error", "read-only file system"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--read-only", "--user", "65532:65532", "--network", "none"}, tt.mount...)
			c := p.start(t, image, args, deadlock...)
			var got []string
			consumertest.Eventually(t, "the watchdog's "+tt.msg+" line", func() bool {
				c.running(t)
				got = logValues(c.logs(t), tt.msg, tt.field)
				return len(got) > 0
			})
			if !strings.Contains(got[0], tt.contain) {
				t.Errorf("%s: %s %q, want it to contain %q", tt.msg, tt.field, got, tt.contain)
			}
			if code := c.stop(t); code != 0 {
				t.Errorf("exit code %d after podman stop -t 30, want 0", code)
			}
		})
	}
}
