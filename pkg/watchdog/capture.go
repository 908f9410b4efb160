package watchdog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"
)

// Capture writes one set of evidence into a new directory under dir and
// returns its path: reason.txt, goroutines.txt (every goroutine's full
// stack, as /debug/pprof/goroutine?debug=2 shows), state.json and
// heap.pprof. It then deletes all but the newest keep captures.
func Capture(dir string, keep int, reason string, state any) (string, error) {
	name := time.Now().UTC().Format("20060102T150405.000000000Z")
	path := filepath.Join(dir, "capture-"+name)
	if err := os.MkdirAll(path, 0o750); err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	write := func(file string, fill func(f *os.File) error) error {
		f, err := os.Create(filepath.Join(path, file))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			_ = f.Close()
			return fmt.Errorf("%s: %w", file, err)
		}
		return f.Close()
	}
	steps := []struct {
		file string
		fill func(f *os.File) error
	}{
		{"reason.txt", func(f *os.File) error { _, err := fmt.Fprintln(f, reason); return err }},
		{"goroutines.txt", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 2) }},
		{"state.json", func(f *os.File) error {
			enc := json.NewEncoder(f)
			enc.SetIndent("", "  ")
			return enc.Encode(state)
		}},
		{"heap.pprof", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) }},
	}
	for _, s := range steps {
		if err := write(s.file, s.fill); err != nil {
			return path, fmt.Errorf("capture %s: %w", path, err)
		}
	}
	return path, prune(dir, keep)
}

// prune keeps the newest keep captures (names sort by time).
func prune(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("prune captures: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "capture-") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for len(names) > keep {
		if err := os.RemoveAll(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("prune captures: %w", err)
		}
		names = names[1:]
	}
	return nil
}
