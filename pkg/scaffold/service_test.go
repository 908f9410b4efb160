package scaffold

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// frameworkRoot is the checkout these tests run in.
const frameworkRoot = "../.."

// frameworkRootTests are the root tests that check the framework's
// repository itself, not the service: a new service does not get them.
var frameworkRootTests = []string{
	"addhandler_test.go",
	"architecture_rules_test.go",
	"architecture_test.go",
	"archload_test.go",
	"externalmodule_test.go",
	"guide_test.go",
	"newservice_checks_test.go",
	"newservice_test.go",
	"removeexample_test.go",
}

// TestEveryRootTestIsSortedForNewServices: a root test added to the
// framework must be put in serviceRootTests (a new service gets it, and
// it must pass there) or in frameworkRootTests; a listed test that is gone
// is a stale entry.
func TestEveryRootTestIsSortedForNewServices(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(frameworkRoot, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, n := range names {
		base := filepath.Base(n)
		found = append(found, base)
		service, framework := slices.Contains(serviceRootTests, base), slices.Contains(frameworkRootTests, base)
		if service == framework {
			t.Errorf("%s: in serviceRootTests %t, in frameworkRootTests %t: it must be in exactly one", base, service, framework)
		}
	}
	for _, n := range serviceRootTests {
		if !slices.Contains(found, n) {
			t.Errorf("serviceRootTests lists %s, which the root has no longer", n)
		}
	}
}

// fakeModule writes a directory with a go.mod of module path and the
// given files, and returns it.
func fakeModule(t *testing.T, path string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	files = append(files, "go.mod")
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		body := "package x\n"
		if f == "go.mod" {
			body = "module " + path + "\n\ngo 1.26.0\n"
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestNewServiceRefusesAndWritesNothing: each bad option or source is
// refused with a message naming it, and the target directory is as it was
// (absent, or with its one file).
func TestNewServiceRefusesAndWritesNothing(t *testing.T) {
	checkout, err := filepath.Abs(frameworkRoot)
	if err != nil {
		t.Fatal(err)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(full, "keep.txt")
	other := fakeModule(t, "example.com/other")
	service := fakeModule(t, "example.com/payments")
	if err := os.WriteFile(filepath.Join(service, "go.mod"), []byte("module example.com/payments\n\ngo 1.26.0\n\nrequire "+FrameworkModule+" "+replacedVersion+"\n\nreplace "+FrameworkModule+" => "+checkout+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bare := fakeModule(t, FrameworkModule)
	noLayout := fakeModule(t, FrameworkModule, "pkg/message/message.go", "cmd/consumer/main.go")
	const good = "github.com/acme/payments-consumer"
	// Should the refusal fail, what was written in the checkout goes.
	inside := filepath.Join(checkout, "zz-refused-new-service")
	t.Cleanup(func() { os.RemoveAll(inside) })
	for _, tt := range []struct {
		name string
		o    ServiceOptions
		want []string
	}{
		{"no module", ServiceOptions{}, []string{"--module is required", "--dir is required"}},
		{"invalid module path", ServiceOptions{Module: "github.com/acme/payments consumer"}, []string{`--module "github.com/acme/payments consumer" is not a valid module path`}},
		{"the framework's path", ServiceOptions{Module: FrameworkModule + "/x"}, []string{"is the framework's own path"}},
		{"dir not empty", ServiceOptions{Module: good, Dir: full}, []string{"exists and is not empty"}},
		{"dir is a file", ServiceOptions{Module: good, Dir: notDir}, []string{"exists and is not a directory"}},
		{"replace and version", ServiceOptions{Module: good, FrameworkReplace: checkout, FrameworkVersion: "v1.0.0"}, []string{"--framework-replace and --framework-version exclude each other"}},
		{"bad version", ServiceOptions{Module: good, FrameworkVersion: "1.0"}, []string{"--framework-version"}},
		{"bad name", ServiceOptions{Module: good, Name: "Payments"}, []string{`service name "Payments" is not a Kubernetes name`}},
		{"name from a module path that gives none", ServiceOptions{Module: "example.com/___"}, []string{`service name "" is not a Kubernetes name`}},
		{"source of another module", ServiceOptions{Module: good, From: other}, []string{"is module example.com/other, not the framework " + FrameworkModule, "pass a checkout of the framework with --from"}},
		{"source that is a service", ServiceOptions{Module: good, From: service}, []string{"is module example.com/payments", "its framework checkout is " + checkout + ": pass --from " + checkout}},
		{"source without pkg/", ServiceOptions{Module: good, From: bare}, []string{"has no pkg/ directory"}},
		{"source without the service layout", ServiceOptions{Module: good, From: noLayout}, []string{"missing components.go", "missing deploy/k8s/kustomization.yaml"}},
		{"replace that is not the framework", ServiceOptions{Module: good, From: checkout, FrameworkReplace: other}, []string{"--framework-replace " + other + " is module example.com/other"}},
		{"dir inside the checkout", ServiceOptions{Module: good, From: checkout, Dir: inside}, []string{"is inside the framework checkout"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			target := filepath.Join(t.TempDir(), "new")
			if o.Dir == "" && !strings.Contains(tt.name, "no module") {
				o.Dir = target
			}
			var out bytes.Buffer
			o.Out = &out
			err := NewService(context.Background(), o)
			var refused *ServiceRefusal
			if !errors.As(err, &refused) {
				t.Fatalf("error %v (%T), want a *ServiceRefusal", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q does not say %q", err, w)
				}
			}
			if out.Len() > 0 {
				t.Errorf("a refusal reported steps: %s", out.String())
			}
			for _, dir := range []string{target, inside} {
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("%s was created (%v)", dir, err)
				}
			}
			if entries, err := os.ReadDir(full); err != nil || len(entries) != 1 {
				t.Errorf("%s changed: %v, %v", full, entries, err)
			}
		})
	}
}

// TestNewServiceNamesTheFailedStepAndLeavesTheDirectory: with the module
// proxy off, `go mod tidy` cannot find a published framework version: the
// error names that step and carries its output, and the directory is left
// with what was written (go.mod requiring the version, no replace).
func TestNewServiceNamesTheFailedStepAndLeavesTheDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "payments-consumer")
	var out bytes.Buffer
	err := NewService(context.Background(), ServiceOptions{
		Module: "github.com/acme/payments-consumer", Dir: dir, From: frameworkRoot,
		FrameworkVersion: "v1.0.0", Out: &out,
		Env: append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod"),
	})
	var step *ServiceStepError
	if !errors.As(err, &step) {
		t.Fatalf("error %v (%T), want a *ServiceStepError", err, err)
	}
	if step.Step != "go mod tidy" || step.Dir != dir || !strings.Contains(string(step.Output), "GOPROXY=off") {
		t.Errorf("step %q in %s, output:\n%s\nwant go mod tidy in %s, failing on GOPROXY=off", step.Step, step.Dir, step.Output, dir)
	}
	if !strings.Contains(out.String(), "== go mod tidy\n") {
		t.Errorf("progress does not name the step:\n%s", out.String())
	}
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatalf("the directory was not left for inspection: %v", err)
	}
	if !strings.Contains(string(goMod), "require "+FrameworkModule+" v1.0.0") || strings.Contains(string(goMod), "replace") {
		t.Errorf("go.mod should require the framework at v1.0.0 without a replace:\n%s", goMod)
	}
	for _, f := range []string{"wire.go", "internal/service/handlers.go", "Makefile", ".ci/run", "deploy/k8s/kustomization.yaml", "Dockerfile", ".dockerignore", "scripts/image.sh", "scripts/containers.conf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
