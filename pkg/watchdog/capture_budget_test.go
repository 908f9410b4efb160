package watchdog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// captureBytes is what one capture directory's files hold.
func captureBytes(t *testing.T, path string) int64 {
	t.Helper()
	entries, err := os.ReadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += info.Size()
	}
	return n
}

// TestCaptureIsCutAtItsBudget: a capture whose goroutine dump outgrows
// max_capture_bytes stops there, at exactly the budget, keeps the reason
// whole, writes nothing after the dump, and says where it was cut.
func TestCaptureIsCutAtItsBudget(t *testing.T) {
	const budget = 256 // a dump of even one goroutine is larger
	dir := t.TempDir()
	path, err := Capture(dir, 2, budget, "orders/0 stalled", map[string]string{"group": "g"})
	if err == nil || !strings.Contains(err.Error(), "cut at watchdog.max_capture_bytes (256) in goroutines.txt") {
		t.Fatalf("err = %v; want it cut in goroutines.txt", err)
	}
	if path == "" {
		t.Fatal("no path for the cut capture: what it holds could not be found")
	}
	if n := captureBytes(t, path); n != budget {
		t.Errorf("the cut capture holds %d bytes, want the budget %d", n, budget)
	}
	if reason, _ := os.ReadFile(filepath.Join(path, "reason.txt")); string(reason) != "orders/0 stalled\n" {
		t.Errorf("reason.txt = %q", reason)
	}
	for _, absent := range []string{"state.json", "heap.pprof"} {
		if _, err := os.Stat(filepath.Join(path, absent)); !os.IsNotExist(err) {
			t.Errorf("%s was written after the budget was spent (%v)", absent, err)
		}
	}
}

// TestCaptureWithinItsBudgetIsWhole: a budget the evidence fits in
// changes nothing: every file is written and no error is returned.
func TestCaptureWithinItsBudgetIsWhole(t *testing.T) {
	path, err := Capture(t.TempDir(), 1, 64<<20, "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"reason.txt", "goroutines.txt", "state.json", "heap.pprof"} {
		if fi, err := os.Stat(filepath.Join(path, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// dirCounter is capture state that, when the capture encodes it, counts
// the captures then in dir: the most the directory holds while a capture
// is being written.
type dirCounter struct {
	t    *testing.T
	dir  string
	seen *int
}

func (c dirCounter) MarshalJSON() ([]byte, error) {
	matches, err := filepath.Glob(filepath.Join(c.dir, "capture-*"))
	if err != nil {
		c.t.Error(err)
	}
	*c.seen = len(matches)
	return json.Marshal(len(matches))
}

// TestCaptureMakesRoomBeforeWriting: the oldest captures go before the
// new one is written, so the directory never holds more than keep of them
// (keep × max_capture_bytes is then the most it holds, which an emptyDir's
// sizeLimit can be sized for), not keep+1 while the new one is written.
func TestCaptureMakesRoomBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	const keep = 2
	for range keep {
		if _, err := Capture(dir, keep, 1<<20, "earlier", nil); err != nil {
			t.Fatal(err)
		}
	}
	var seen int
	if _, err := Capture(dir, keep, 64<<20, "now", dirCounter{t: t, dir: dir, seen: &seen}); err != nil {
		t.Fatal(err)
	}
	if seen != keep {
		t.Errorf("while the third capture was written the directory held %d captures, want at most keep = %d", seen, keep)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != keep {
		t.Errorf("after it, %d captures; want %d", len(entries), keep)
	}
}

// TestBudgetWriterFillsTheBudgetExactly: a write that uses the budget up
// to its last byte is whole, not cut; the next byte is refused.
func TestBudgetWriterFillsTheBudgetExactly(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	left := int64(4)
	w := &budgetWriter{f: f, left: &left}
	if n, err := w.Write([]byte("abcd")); n != 4 || err != nil || w.cut {
		t.Fatalf("a write of exactly the budget: %d, %v, cut %t; want 4, nil, not cut", n, err, w.cut)
	}
	if n, err := w.Write([]byte("e")); n != 0 || err == nil || !w.cut {
		t.Fatalf("a write past the budget: %d, %v, cut %t; want 0, an error, cut", n, err, w.cut)
	}
}
