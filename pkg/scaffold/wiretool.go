package scaffold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// GeneratedFile is what Wire generates from the injector.
const GeneratedFile = "wire_gen.go"

// Wire runs `go tool wire args...` in dir and returns its combined
// output. When wire ran and exited non-zero, the error has an
// ExitCode() int method, as *exec.ExitError does.
type Wire func(ctx context.Context, dir string, args ...string) ([]byte, error)

// GoToolWire is Wire as the repository's go.mod provides it: `go tool
// wire`.
func GoToolWire(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "wire"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("go tool wire %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

// wireExitDiff is the exit code of `wire diff` when the generated file
// differs from what it would generate (2 is for a failure).
const wireExitDiff = 1

// CheckWire returns an error, and the repository is refused, unless
// wire_gen.go is exactly what Wire generates from the current sources:
// generating it again after adding a handler would otherwise overwrite
// an edit made by hand, or hide a stale file.
func (r *Repo) CheckWire(ctx context.Context, wire Wire) error {
	out, err := wire(ctx, r.Dir, "diff", ".")
	if err == nil {
		return nil
	}
	var exit interface{ ExitCode() int }
	if errors.As(err, &exit) && exit.ExitCode() == wireExitDiff {
		return fmt.Errorf("%s is not what Wire generates from the current sources (edited by hand, or stale): "+
			"see `go tool wire diff .`, move any edit into the providers, run `go tool wire gen .`, then run this again", GeneratedFile)
	}
	return fmt.Errorf("wire cannot generate %s from the current sources, so a handler cannot be added: %v: %s",
		GeneratedFile, err, firstLines(out, 3))
}

// firstLines is the first n non-empty lines of out, joined by " | ", for
// a one-line message.
func firstLines(out []byte, n int) string {
	var lines []string
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 && len(lines) < n {
			lines = append(lines, string(l))
		}
	}
	return strings.Join(lines, " | ")
}
