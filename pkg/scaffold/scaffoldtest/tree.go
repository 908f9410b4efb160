package scaffoldtest

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Tree is every file under dir, by slash-separated relative path, with
// its mode and a hash of its content: two equal Trees have the same
// files, unchanged.
func Tree(t testing.TB, dir string) map[string]string {
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
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = fmt.Sprintf("%x %v", sha256.Sum256(data), info.Mode())
		return err
	})
	if err != nil {
		t.Fatalf("tree of %s: %v", dir, err)
	}
	return files
}

// Changed lists, sorted, the paths that differ between two Trees: added,
// removed or changed. None means nothing changed.
func Changed(before, after map[string]string) []string {
	var paths []string
	for p, h := range after {
		if before[p] != h {
			paths = append(paths, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	return paths
}
