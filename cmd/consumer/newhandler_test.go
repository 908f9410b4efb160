package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

// refusal is a `consumer new handler` that must be refused: exit 2, one
// line on stderr saying why, nothing on stdout, no file changed.
type refusal struct {
	name string
	args []string
	// dir is where it runs (--dir); the repository copy when empty.
	dir string
	// edit, when set, changes the copy before the run and undoes it
	// after.
	edit func(t *testing.T, repo string) (undo func())
	why  string
}

// refuse runs each refusal in repo and checks it.
func refuse(t *testing.T, repo string, tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = repo
			}
			if tt.edit != nil {
				t.Cleanup(tt.edit(t, repo))
			}
			before := scaffoldtest.Tree(t, dir)
			var out, errOut bytes.Buffer
			code := run(append(append([]string{"new", "handler"}, tt.args...), "--dir", dir), &out, &errOut)
			stderr := errOut.String()
			if code != exitUsage || out.Len() != 0 || !strings.HasPrefix(stderr, "consumer new handler: ") ||
				strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.why) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr saying %q", code, out.String(), stderr, tt.why)
			}
			if changed := scaffoldtest.Changed(before, scaffoldtest.Tree(t, dir)); len(changed) > 0 {
				t.Errorf("files changed in %s: %v", dir, changed)
			}
		})
	}
}

// appendTo returns an edit that appends text to the file rel of the
// repository, undone by writing it back.
func appendTo(rel, text string) func(t *testing.T, repo string) func() {
	return func(t *testing.T, repo string) func() {
		p := filepath.Join(repo, rel)
		old, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append(append([]byte(nil), old...), text...), 0o644); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := os.WriteFile(p, old, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestNewHandlerRefusesWithoutWriting: every refusal of `consumer new
// handler`, in a copy of this repository (or a directory that is not a
// service repository), exits 2 with one line saying why and changes no
// file. The last ones run Wire, which decides whether wire_gen.go is
// what it generates. The handler and topic it asks for (scaffold-probe,
// scaffold-probes) are ones no service is likely to have, because these
// tests run in every service made from this checkout, after its own
// handlers were added.
func TestNewHandlerRefusesWithoutWriting(t *testing.T) {
	repo := copyModule(t)
	notARepo := t.TempDir()
	if err := os.WriteFile(filepath.Join(notARepo, "go.mod"), []byte("module example.com/x\n\ngo 1.26.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refuse(t, repo, []refusal{
		{name: "no name", args: []string{"--topic", "scaffold-probes"}, why: "missing NAME"},
		{name: "no topic", args: []string{"scaffold-probe"}, why: "missing --topic"},
		{name: "an unknown flag", args: []string{"scaffold-probe", "--topic", "scaffold-probes", "--frobnicate"}, why: "flag provided but not defined: -frobnicate"},
		{name: "an extra argument", args: []string{"scaffold-probe", "extra", "--topic", "scaffold-probes"}, why: `unexpected argument "extra"`},
		{name: "an invalid name", args: []string{"PaymentAudit", "--topic", "scaffold-probes"}, why: `handler name "PaymentAudit": must be kebab-case`},
		{name: "a name after the flags, invalid", args: []string{"--topic", "scaffold-probes", "scaffold_probe"}, why: `handler name "scaffold_probe": must be kebab-case`},
		{name: "a name whose file would be a test", args: []string{"payment-test", "--topic", "scaffold-probes"}, why: "payment_test.go would be a test file"},
		{name: "an invalid topic", args: []string{"scaffold-probe", "--topic", "pay/ments"}, why: `topic "pay/ments": '/' is not allowed`},
		{name: "workers in partition order", args: []string{"scaffold-probe", "--topic", "scaffold-probes", "--workers", "8"},
			why: "--workers 8: partition ordering has one worker per partition"},
		{name: "no workers", args: []string{"scaffold-probe", "--topic", "scaffold-probes", "--ordering", "key", "--workers", "0"}, why: "--workers 0: must be at least 1"},
		{name: "a batch in key order", args: []string{"scaffold-probe", "--topic", "scaffold-probes", "--batch", "--ordering", "key"}, why: "--batch with --ordering key"},
		{name: "a batch in no order", args: []string{"scaffold-probe", "--topic", "scaffold-probes", "--batch", "--ordering", "none"}, why: "--batch with --ordering none"},
		{name: "a batch with a retry topic", args: []string{"scaffold-probe", "--topic", "scaffold-probes", "--batch", "--retry-topic"},
			why: "--retry-topic with --batch: a retry topic needs a per-message handler"},
		{name: "an unknown ordering", args: []string{"scaffold-probe", "--topic", "scaffold-probes", "--ordering", "offset"}, why: `--ordering "offset": must be partition, key or none`},
		{name: "not a service repository", args: []string{"scaffold-probe", "--topic", "scaffold-probes"}, dir: notARepo,
			why: notARepo + " is not a service repository that `consumer new` knows: missing `tool github.com/google/wire/cmd/wire` in go.mod; wire.go (the injector); " +
				"internal/service/handlers.go (the registration point); deploy/k8s/config.yaml (the configuration file)"},
		{name: "a file of that name", args: []string{"settings", "--topic", "scaffold-probes"}, why: `handler name "settings": internal/service/settings.go already exists`},
		{name: "a declaration of that name", args: []string{"default-settings", "--topic", "scaffold-probes"},
			why: "already declares DefaultSettings, which the new handler would declare too"},
		{name: "a configuration the service cannot load", args: []string{"scaffold-probe", "--topic", "scaffold-probes"},
			edit: appendTo("deploy/k8s/config.yaml", "frobnicate: true\n"), why: "the service cannot load deploy/k8s/config.yaml: "},
		{name: "a wire_gen.go edited by hand", args: []string{"scaffold-probe", "--topic", "scaffold-probes"}, edit: appendTo("wire_gen.go", "\n// edited by hand\n"),
			why: "wire_gen.go is not what Wire generates from the current sources (edited by hand, or stale)"},
		{name: "an injector Wire cannot generate from", args: []string{"scaffold-probe", "--topic", "scaffold-probes"},
			edit: appendTo("wire.go", "\nfunc broken() int {\n\twire.Build(noSuchProvider)\n\treturn 0\n}\n"),
			why:  "wire cannot generate wire_gen.go from the current sources, so a handler cannot be added: "},
	})
}

// TestNewHandlerDryRunPrintsThePlanAndWritesNothing: --dry-run prints
// each change as a unified diff, then the generation it would run, and
// leaves every file as it was.
func TestNewHandlerDryRunPrintsThePlanAndWritesNothing(t *testing.T) {
	repo := copyModule(t)
	before := scaffoldtest.Tree(t, repo)
	var out, errOut bytes.Buffer
	if code := run([]string{"new", "handler", "scaffold-probe", "--topic", "scaffold-probes", "--dry-run", "--dir", repo}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, w := range []string{
		"--- /dev/null\n+++ b/internal/service/scaffold_probe.go\n",
		"--- /dev/null\n+++ b/internal/service/scaffold_probe_test.go\n",
		"+++ b/internal/service/handlers.go\n",
		"+\tNewScaffoldProbe,\n",
		"+++ b/deploy/k8s/config.yaml\n",
		"+    - topic: scaffold-probes\n+      handler: scaffold-probe\n",
		"then: go tool wire gen . (regenerates wire_gen.go)\n",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the plan does not show %q:\n%s", w, out.String())
		}
	}
	if changed := scaffoldtest.Changed(before, scaffoldtest.Tree(t, repo)); len(changed) > 0 {
		t.Fatalf("--dry-run changed files: %v", changed)
	}
}

func TestNewUsage(t *testing.T) {
	for _, tt := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"new"}, exitUsage, "", "usage: consumer new handler NAME --topic TOPIC"},
		{[]string{"new", "frobnicator"}, exitUsage, "", `consumer new: unknown kind "frobnicator"`},
		{[]string{"new", "handler", "-h"}, exitOK, "Adds the handler NAME (kebab-case)", ""},
		{[]string{"help"}, exitOK, "new handler NAME --topic TOPIC", ""},
	} {
		var out, errOut bytes.Buffer
		if code := run(tt.args, &out, &errOut); code != tt.code || !strings.Contains(out.String(), tt.stdout) || !strings.Contains(errOut.String(), tt.stderr) {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", tt.args, code, out.String(), errOut.String())
		}
	}
}
