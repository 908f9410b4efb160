package scaffoldtest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestChangedNamesWhatAppearedWentOrChanged: a file added, one removed,
// one rewritten and one made executable are each named, once; untouched
// files are not.
func TestChangedNamesWhatAppearedWentOrChanged(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("same.go", "package x\n", 0o644)
	write("gone.go", "package x\n", 0o644)
	write("edited/file.yaml", "a: 1\n", 0o644)
	write("script.sh", "echo\n", 0o644)
	before := Tree(t, dir)
	if got := Changed(before, Tree(t, dir)); len(got) != 0 {
		t.Fatalf("nothing changed, yet Changed says %v", got)
	}
	if err := os.Remove(filepath.Join(dir, "gone.go")); err != nil {
		t.Fatal(err)
	}
	write("new.go", "package x\n", 0o644)
	write("edited/file.yaml", "a: 2\n", 0o644)
	write("script.sh", "echo\n", 0o755)
	want := []string{"edited/file.yaml", "gone.go", "new.go", "script.sh"}
	if got := Changed(before, Tree(t, dir)); !slices.Equal(got, want) {
		t.Fatalf("Changed = %v, want %v", got, want)
	}
}

// TestCopyModuleOutsideGitCopiesEveryFileButGits: a directory that is
// not a work tree is copied whole, modes kept, without .git.
func TestCopyModuleOutsideGitCopiesEveryFileButGits(t *testing.T) {
	src := t.TempDir()
	for name, mode := range map[string]os.FileMode{"go.mod": 0o644, "scripts/run.sh": 0o755, ".gitignore": 0o644} {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	// A .git file (as in a linked worktree) would make it a work tree;
	// a .git directory inside a sub-directory is only skipped.
	if err := os.MkdirAll(filepath.Join(src, "vendor/.git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "vendor/.git/HEAD"), []byte("ref"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Tree(t, CopyModule(t, src))
	want := Tree(t, src)
	delete(want, "vendor/.git/HEAD")
	if changed := Changed(want, got); len(changed) != 0 {
		t.Fatalf("the copy differs from the module in %v", changed)
	}
}
