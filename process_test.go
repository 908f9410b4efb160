package consumerkit

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
)

// buildConsumer builds srcDir's cmd/consumer into outDir and returns the
// binary. Tests that run the command as a process build it once.
func buildConsumer(t *testing.T, srcDir, outDir string) string {
	t.Helper()
	bin := filepath.Join(outDir, "consumer")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/consumer")
	cmd.Dir = srcDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/consumer in %s: %v\n%s", srcDir, err, out)
	}
	return bin
}

// status is the HTTP status of a GET of url, or 0 when it cannot connect.
func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
