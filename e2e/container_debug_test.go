//go:build e2e && container

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestContainerServesProfilesOnTheDebugPortOnlyWithTheToken is the
// profiling overlay's pod, in podman: on a network of its own (the
// container's ports published on the host's loopback), ADMIN_ADDR=:9090
// and DEBUG_ADDR=:6060 on every interface, the token read from
// ADMIN_TOKEN_FILE (a read-only mount, as a Secret volume is), the
// example on its embedded broker. A CPU profile fetched from the running
// container with the token is one `go tool pprof -top` reads; without the
// token, or with another, the answer is 401. The same container with
// DEBUG_ADDR=:6060 and no token refuses to start: exit code 2, saying why.
func TestContainerServesProfilesOnTheDebugPortOnlyWithTheToken(t *testing.T) {
	p := newPodman(t)
	image := p.buildImage(t)
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	token := hex.EncodeToString(secret)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	pod := []string{"--read-only", "--user", "65532:65532", "--tmpfs", diagDir, "-e", "ADMIN_ADDR=:9090", "-e", "DEBUG_ADDR=:6060"}
	c := p.start(t, image, append(pod,
		"-p", "127.0.0.1::9090", "-p", "127.0.0.1::6060",
		"-v", tokenFile+":/run/secrets/consumerkit/admin-token:ro",
		"-e", "ADMIN_TOKEN_FILE=/run/secrets/consumerkit/admin-token",
	))
	admin, debug := c.published(t, 9090), c.published(t, 6060)
	c.waitReady(t, admin)

	profileURL := "http://" + debug + "/debug/pprof/profile?seconds=1"
	if code, body, err := get(profileURL, ""); err != nil || code != http.StatusUnauthorized {
		t.Errorf("profile without the token: %d, %v (%.80q), want 401", code, err, body)
	}
	if code, body, err := get(profileURL, "not-"+token); err != nil || code != http.StatusUnauthorized {
		t.Errorf("profile with another token: %d, %v (%.80q), want 401", code, err, body)
	}
	code, profile, err := get(profileURL, token)
	if err != nil || code != http.StatusOK {
		t.Fatalf("profile with the token: %d, %v (%.80q), want 200", code, err, profile)
	}
	profileFile := filepath.Join(t.TempDir(), "cpu.pprof")
	if err := os.WriteFile(profileFile, profile, 0o644); err != nil {
		t.Fatal(err)
	}
	top := run(t, os.Environ(), "", "go", "tool", "pprof", "-top", profileFile)
	if !strings.Contains(top, "Type: cpu") {
		t.Errorf("go tool pprof -top does not read a CPU profile:\n%s", top)
	}
	t.Logf("go tool pprof -top of the container's CPU profile (%d bytes):\n%.600s", len(profile), top)
	if code := c.stop(t); code != 0 {
		t.Fatalf("exit code %d after podman stop -t 30, want 0", code)
	}

	refused := p.start(t, image, pod)
	if code := refused.wait(t); code != 2 {
		t.Errorf("DEBUG_ADDR=:6060 without a token: exit code %d, want 2", code)
	}
	if logs := refused.logs(t); !regexp.MustCompile(`(?i)debug[_-]addr`).MatchString(logs) {
		t.Errorf("the refusal does not name DEBUG_ADDR:\n%s", logs)
	}
}
