package consumerkit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// logCapture holds the log lines of one app. The logger writes JSON to the
// os.Stdout it finds when logging.New builds it, so pointing os.Stdout at a
// file while InitializeApp runs captures this app's lines and only them,
// exactly as an operator would read them. The root package's tests never
// run in parallel, so no other code sees the swap.
type logCapture struct {
	t    *testing.T
	path string
}

func newLogCapture(t *testing.T) *logCapture {
	return &logCapture{t: t, path: filepath.Join(t.TempDir(), "stdout.log")}
}

// during runs build with os.Stdout pointing at the capture file. The file
// stays open until the test ends: the logger keeps writing to it.
func (l *logCapture) during(build func()) {
	f, err := os.Create(l.path)
	if err != nil {
		l.t.Fatalf("log capture: %v", err)
	}
	l.t.Cleanup(func() {
		if err := f.Close(); err != nil {
			l.t.Errorf("log capture: %v", err)
		}
	})
	orig := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = orig }()
	build()
}

func (l *logCapture) raw() []byte {
	data, err := os.ReadFile(l.path)
	if err != nil {
		l.t.Fatalf("log capture: %v", err)
	}
	return data
}

// entries returns every complete JSON log line written so far, in order.
func (l *logCapture) entries() []map[string]any {
	data := l.raw()
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1] // a line being written is not complete yet
	} else {
		return nil
	}
	var out []map[string]any
	for line := range bytes.Lines(data) {
		var e map[string]any
		if err := json.Unmarshal(line, &e); err != nil {
			l.t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, e)
	}
	return out
}

// withMessage returns the entries whose msg is msg, in order.
func (l *logCapture) withMessage(msg string) []map[string]any {
	var out []map[string]any
	for _, e := range l.entries() {
		if e["msg"] == msg {
			out = append(out, e)
		}
	}
	return out
}

// text is the tail of the log, for failure messages.
func (l *logCapture) text() string {
	data := l.raw()
	const tail = 8 << 10
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	return string(data)
}
