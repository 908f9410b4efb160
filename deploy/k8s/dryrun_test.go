//go:build deploycheck

package k8s_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// These tests need the API server of `make k8s-up` and run under `make
// deploy-check` (go test -tags deploycheck), which sets KUBECTL and
// KUBECONFIG from scripts/k8s.sh env. Without a server they fail.

// kubectlTimeout bounds one kubectl call.
const kubectlTimeout = 2 * time.Minute

// kubectl runs the kubectl of KUBECTL on stdin and returns its combined
// output.
func kubectl(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	bin, kubeconfig := os.Getenv("KUBECTL"), os.Getenv("KUBECONFIG")
	if bin == "" || kubeconfig == "" {
		t.Fatal("KUBECTL and KUBECONFIG are not set: run `make k8s-up`, then `make deploy-check`, which sets them from scripts/k8s.sh env")
	}
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// requireAPIServer fails the test unless the API server answers ready.
func requireAPIServer(t *testing.T) {
	t.Helper()
	if out, err := kubectl(t, nil, "get", "--raw", "/readyz"); err != nil {
		t.Fatalf("no ready API server at KUBECONFIG %s (run `make k8s-up`): %v\n%s", os.Getenv("KUBECONFIG"), err, out)
	}
}

// dryRun has the API server validate objects strictly and run its
// defaulting and admission as for a create, storing nothing.
func dryRun(t *testing.T, stream []byte) (string, error) {
	t.Helper()
	return kubectl(t, stream, "apply", "--dry-run=server", "--validate=strict", "-f", "-")
}

// TestAPIServerAcceptsEveryKustomization: kube-apiserver, with the
// ServiceMonitor and ScaledObject CRDs as published, accepts every object
// of the base and of each overlay under strict field validation.
func TestAPIServerAcceptsEveryKustomization(t *testing.T) {
	requireAPIServer(t)
	ts, err := targets()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		t.Run(tg.name, func(t *testing.T) {
			r, err := render(tg.dir)
			if err != nil {
				t.Fatal(err)
			}
			out, err := dryRun(t, r.stream())
			if err != nil {
				t.Fatalf("the API server refused %s: %v\n%s", tg.dir, err, out)
			}
			if n := strings.Count(out, "(server dry run)"); n != len(r.docs) {
				t.Errorf("%d of %d objects accepted:\n%s", n, len(r.docs), out)
			}
			t.Logf("%s:\n%s", filepath.Clean(tg.dir), out)
		})
	}
}

// TestAPIServerRejectsUnknownFields: the dry-run is strict, for the
// built-in kinds and for the custom resources (the CRDs' schemas are
// enforced): a misspelled field is refused, naming it.
func TestAPIServerRejectsUnknownFields(t *testing.T) {
	requireAPIServer(t)
	r, err := render(filepath.Join(overlaysDir, "prod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		kind  string
		path  []string
		field string
	}{
		{"Deployment", []string{"spec", "template", "spec"}, "terminationGracePeriodSecond"},
		{"ScaledObject", []string{"spec"}, "maxReplicas"},
		{"ServiceMonitor", []string{"spec"}, "endpoint"},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			doc := withField(t, r, tt.kind, tt.path, tt.field)
			out, err := dryRun(t, doc)
			want := `unknown field "` + strings.Join(append(tt.path, tt.field), ".") + `"`
			if err == nil || !strings.Contains(out, want) {
				t.Fatalf("%s with %s: %v\n%s\nwant a refusal saying %s", tt.kind, tt.field, err, out, want)
			}
			t.Logf("refused as it should be: %s", strings.TrimSpace(out))
		})
	}
}

// withField is the rendered object of kind with one more field at path,
// which its schema does not have.
func withField(t *testing.T, r *rendered, kind string, path []string, field string) []byte {
	t.Helper()
	for _, doc := range r.docs {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		if obj["kind"] != kind {
			continue
		}
		m := obj
		for _, p := range path {
			next, ok := m[p].(map[string]any)
			if !ok {
				t.Fatalf("%s has no %s", kind, strings.Join(path, "."))
			}
			m = next
		}
		m[field] = 45
		out, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatalf("no %s rendered", kind)
	return nil
}
