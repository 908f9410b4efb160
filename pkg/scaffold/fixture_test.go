package scaffold

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"
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

// tree is every file under dir, by relative path, with a hash of its
// content and its mode: two equal trees have the same files, unchanged.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = fmt.Sprintf("%x %v", sha256.Sum256(data), info.Mode())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameTree fails t unless dir holds exactly the files of before.
func sameTree(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := tree(t, dir)
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed or went", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
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
