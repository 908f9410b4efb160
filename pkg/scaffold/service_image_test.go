package scaffold

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNewServiceImageFollowsTheServiceName: a new service gets the
// checkout's Dockerfile, .dockerignore, scripts/image.sh and podman's
// configuration, renamed: `make image` tags it payments-consumer:dev, and
// its DIAG_DIR (the Dockerfile's ENV and the directory image.sh stages
// for it) is the service's, the path its manifests set and mount.
func TestNewServiceImageFollowsTheServiceName(t *testing.T) {
	checkout, err := filepath.Abs(frameworkRoot)
	if err != nil {
		t.Fatal(err)
	}
	src, err := loadServiceSource(checkout)
	if err != nil {
		t.Fatal(err)
	}
	files, err := serviceFiles(src)
	if err != nil {
		t.Fatal(err)
	}
	if files, err = renameService(files, src, "github.com/acme/payments-consumer", "payments-consumer"); err != nil {
		t.Fatal(err)
	}
	got := map[string]sourceFile{}
	for _, f := range files {
		got[f.rel] = f
	}
	for _, rel := range serviceImageFiles {
		if _, ok := got[rel]; !ok {
			t.Errorf("a new service does not get %s", rel)
		}
	}
	if got["scripts/image.sh"].mode&0o111 == 0 {
		t.Errorf("scripts/image.sh is not executable (%v)", got["scripts/image.sh"].mode)
	}
	const diag = "/var/lib/payments-consumer/diag"
	dockerfile, script := string(got["Dockerfile"].data), string(got["scripts/image.sh"].data)
	if !strings.Contains(dockerfile, "\nENV DIAG_DIR="+diag+"\n") {
		t.Errorf("the Dockerfile does not set DIAG_DIR=%s:\n%s", diag, dockerfile)
	}
	if !strings.Contains(script, "IMAGE=${IMAGE:-payments-consumer:dev}") || !strings.Contains(script, `"$STAGE/out`+diag+`"`) {
		t.Errorf("scripts/image.sh does not tag payments-consumer:dev and stage %s:\n%s", diag, script)
	}
	// Wherever the manifests name a DIAG_DIR path (the Deployment's env
	// and emptyDir mount), it is the image's.
	diagDir := regexp.MustCompile(`/var/lib/[a-z0-9-]+/diag`)
	named := 0
	for rel, f := range got {
		if !strings.HasPrefix(rel, "deploy/") {
			continue
		}
		for _, p := range diagDir.FindAllString(string(f.data), -1) {
			named++
			if p != diag {
				t.Errorf("%s names %s, the image's DIAG_DIR is %s", rel, p, diag)
			}
		}
	}
	if named == 0 {
		t.Error("no manifest under deploy/ names a DIAG_DIR path: the check proves nothing")
	}
	for _, rel := range serviceImageFiles {
		if strings.Contains(strings.ReplaceAll(string(got[rel].data), FrameworkModule, ""), "consumerkit") {
			t.Errorf("%s still says consumerkit", rel)
		}
	}
}
