package scaffold

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

// TestApplyWritesThePlanThenGenerates: every planned file is written as
// planned, then `wire gen .` runs once, in the repository.
func TestApplyWritesThePlanThenGenerates(t *testing.T) {
	dir := fixture(t)
	p, err := plan(t, dir, Handler{Name: "payment-audit", Topic: "payments"}, Registered{})
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWire{run: func(d string, _ []string) ([]byte, error) {
		// What it sees is every file written.
		for _, c := range p.Changes {
			if got, err := os.ReadFile(filepath.Join(d, c.Path)); err != nil || string(got) != string(c.New) {
				t.Errorf("wire ran before %s was written (%v)", c.Path, err)
			}
		}
		return nil, nil
	}}
	if err := p.Apply(context.Background(), w.wire); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 1 || !slices.Equal(w.calls[0], []string{"gen", "."}) {
		t.Fatalf("wire ran %v, want gen . once", w.calls)
	}
}

// TestApplyRestoresEveryFileWhenGenerationFails: when wire gen fails
// (after writing half a wire_gen.go, even), every file is as it was:
// created ones gone, edited and generated ones back to their content.
func TestApplyRestoresEveryFileWhenGenerationFails(t *testing.T) {
	dir := fixture(t)
	before := scaffoldtest.Tree(t, dir)
	p, err := plan(t, dir, Handler{Name: "payment-audit", Topic: "payments"}, Registered{})
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWire{run: func(d string, _ []string) ([]byte, error) {
		if err := os.WriteFile(filepath.Join(d, GeneratedFile), []byte("package half"), 0o644); err != nil {
			t.Error(err)
		}
		return []byte("wire: example.com/payments: inject InitializeApp: no provider found for *service.Thing\n\nwire: generate failed\n"), exitError(1)
	}}
	err = p.Apply(context.Background(), w.wire)
	if err == nil || !strings.Contains(err.Error(), "no provider found for *service.Thing") || !strings.Contains(err.Error(), "every file is as it was") {
		t.Fatalf("Apply: %v, want wire's error, saying every file is as it was", err)
	}
	sameTree(t, dir, before)
}

// TestApplyRestoresEveryFileWhenAWriteFails: a write that fails midway
// (its directory gone) undoes the writes before it, and wire never runs.
func TestApplyRestoresEveryFileWhenAWriteFails(t *testing.T) {
	dir := fixture(t)
	p, err := plan(t, dir, Handler{Name: "payment-audit", Topic: "payments"}, Registered{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "deploy")); err != nil { // the configuration file is written last
		t.Fatal(err)
	}
	before := scaffoldtest.Tree(t, dir)
	w := &fakeWire{}
	err = p.Apply(context.Background(), w.wire)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "write deploy/k8s/config.yaml") {
		t.Fatalf("Apply: %v, want the failed write", err)
	}
	if len(w.calls) != 0 {
		t.Fatalf("wire ran %v", w.calls)
	}
	sameTree(t, dir, before)
}
