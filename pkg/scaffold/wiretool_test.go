package scaffold

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestCheckWireRefusesAGeneratedFileWireWouldChange: wire diff's verdict
// decides: clean is fine; a difference (exit 1) is a hand-edited or stale
// wire_gen.go, refused; a failure (exit 2) is refused with wire's first
// lines.
func TestCheckWireRefusesAGeneratedFileWireWouldChange(t *testing.T) {
	r, err := OpenRepo(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		out  string
		err  error
		why  string
	}{
		{"clean", "", nil, ""},
		{"a difference", "example.com/payments: diff from wire_gen.go:\n@@ -1 +1 @@\n", exitError(1),
			"wire_gen.go is not what Wire generates from the current sources (edited by hand, or stale): see `go tool wire diff .`"},
		{"a failure", "wire: inject InitializeApp: no provider found for *service.Thing\nwire: generate failed\n", exitError(2),
			"wire cannot generate wire_gen.go from the current sources, so a handler cannot be added: exit status 2: " +
				"wire: inject InitializeApp: no provider found for *service.Thing | wire: generate failed"},
		{"no go command", "", errors.New(`exec: "go": executable file not found in $PATH`), `wire cannot generate wire_gen.go from the current sources, so a handler cannot be added: exec: "go"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fakeWire{run: func(string, []string) ([]byte, error) { return []byte(tt.out), tt.err }}
			err := r.CheckWire(context.Background(), w.wire)
			if len(w.calls) != 1 || !slices.Equal(w.calls[0], []string{"diff", "."}) {
				t.Fatalf("wire ran %v, want diff . once", w.calls)
			}
			if tt.why == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.why) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%v: want one line saying %q", err, tt.why)
			}
		})
	}
}
