package scaffold

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

// fixture extracts testdata/service.txtar, a service repository with no
// handler yet, into a new temporary directory and returns it.
func fixture(t *testing.T) string {
	t.Helper()
	a, err := txtar.ParseFile("testdata/service.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range a.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sameTree fails t unless dir holds exactly the files of before.
func sameTree(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	if changed := scaffoldtest.Changed(before, scaffoldtest.Tree(t, dir)); len(changed) > 0 {
		t.Errorf("files appeared, went or changed: %v", changed)
	}
}

// exitError is the error of a command that exited with code.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e exitError) ExitCode() int { return int(e) }

// fakeWire records the wire commands it is asked to run and answers with
// run's result.
type fakeWire struct {
	calls [][]string
	run   func(dir string, args []string) ([]byte, error)
}

func (w *fakeWire) wire(_ context.Context, dir string, args ...string) ([]byte, error) {
	w.calls = append(w.calls, args)
	if w.run == nil {
		return nil, nil
	}
	return w.run(dir, args)
}
