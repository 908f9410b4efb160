package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewServiceRefusalsExitTwoAndWriteNothing runs `consumer new service`
// in process with options it must refuse before reading any checkout: each
// exits 2 naming the problem, and the target directory is as it was
// (absent, or holding only its one file). The refusals of a source that
// is not the framework's checkout are in pkg/scaffold.
func TestNewServiceRefusalsExitTwoAndWriteNothing(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(t.TempDir(), "payments-consumer")
	const module = "github.com/acme/payments-consumer"
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no kind", []string{"new"}, "usage: consumer new"},
		{"unknown kind", []string{"new", "pipeline"}, `unknown kind "pipeline"`},
		{"unknown flag", []string{"new", "service", "--module", module, "--dir", absent, "--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{"extra argument", []string{"new", "service", "--module", module, "--dir", absent, "extra"}, `unexpected argument "extra"`},
		{"no module", []string{"new", "service", "--dir", absent}, "--module is required"},
		{"invalid module path", []string{"new", "service", "--module", "github.com/acme/Payments Consumer", "--dir", absent}, "is not a valid module path"},
		{"no dir", []string{"new", "service", "--module", module}, "--dir is required"},
		{"dir not empty", []string{"new", "service", "--module", module, "--dir", full}, full + " exists and is not empty"},
		{"replace and version", []string{"new", "service", "--module", module, "--dir", absent, "--framework-replace", full, "--framework-version", "v1.0.0"},
			"--framework-replace and --framework-version exclude each other"},
		{"bad name", []string{"new", "service", "--module", module, "--dir", absent, "--name", "Payments_Consumer"}, "is not a Kubernetes name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			if code != exitUsage || !strings.Contains(errOut.String(), tt.want) {
				t.Fatalf("code %d (want %d), stderr does not say %q:\n%s", code, exitUsage, tt.want, errOut.String())
			}
			if out.Len() > 0 {
				t.Errorf("stdout: %s", out.String())
			}
			if _, err := os.Stat(absent); !os.IsNotExist(err) {
				t.Errorf("%s was created (%v)", absent, err)
			}
			if entries, err := os.ReadDir(full); err != nil || len(entries) != 1 {
				t.Errorf("%s changed: %v, %v", full, entries, err)
			}
		})
	}
}
