package watchdog

import (
	"encoding/json"
	"fmt"
	"io"
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
// heap.pprof. It first deletes the oldest captures so that, with the new
// one, at most keep remain; the new one writes at most maxBytes, so dir
// never holds more than keep × maxBytes of evidence. A capture that
// reaches maxBytes is cut there: the file being written ends early, the
// files after it are not written, and the error says where it was cut
// next to the path of what was kept.
func Capture(dir string, keep int, maxBytes int64, reason string, state any) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	if err := prune(dir, keep-1); err != nil {
		return "", err
	}
	name := time.Now().UTC().Format("20060102T150405.000000000Z")
	path := filepath.Join(dir, "capture-"+name)
	if err := os.Mkdir(path, 0o750); err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	left := maxBytes
	write := func(file string, fill func(w io.Writer) error) (cut bool, err error) {
		f, err := os.Create(filepath.Join(path, file))
		if err != nil {
			return false, err
		}
		w := &budgetWriter{f: f, left: &left}
		if err := fill(w); err != nil {
			_ = f.Close()
			return w.cut, fmt.Errorf("%s: %w", file, err)
		}
		return false, f.Close()
	}
	steps := []struct {
		file string
		fill func(w io.Writer) error
	}{
		{"reason.txt", func(w io.Writer) error { _, err := fmt.Fprintln(w, reason); return err }},
		{"goroutines.txt", func(w io.Writer) error { return pprof.Lookup("goroutine").WriteTo(w, 2) }},
		{"state.json", func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(state)
		}},
		{"heap.pprof", func(w io.Writer) error { return pprof.Lookup("heap").WriteTo(w, 0) }},
	}
	for _, s := range steps {
		cut, err := write(s.file, s.fill)
		if cut {
			return path, fmt.Errorf("capture %s: cut at watchdog.max_capture_bytes (%d) in %s", path, maxBytes, s.file)
		}
		if err != nil {
			return path, fmt.Errorf("capture %s: %w", path, err)
		}
	}
	return path, nil
}

// budgetWriter writes to f until the capture's budget, shared by its
// files, is spent; then it writes what still fits, marks itself cut and
// fails with io.ErrShortWrite.
type budgetWriter struct {
	f    *os.File
	left *int64
	cut  bool
}

func (w *budgetWriter) Write(p []byte) (int, error) {
	full := int64(len(p)) > *w.left
	if full {
		p = p[:*w.left]
	}
	n, err := w.f.Write(p)
	*w.left -= int64(n)
	if err != nil {
		return n, err
	}
	if full {
		w.cut = true
		return n, io.ErrShortWrite
	}
	return n, nil
}

// prune keeps the newest keep captures (names sort by time) and deletes
// the others.
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
	for len(names) > max(keep, 0) {
		if err := os.RemoveAll(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("prune captures: %w", err)
		}
		names = names[1:]
	}
	return nil
}
