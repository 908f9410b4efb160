package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Change is one file a Plan writes.
type Change struct {
	// Path is the file's slash-separated path in the repository.
	Path string
	// Old is its content now, nil when the plan creates it; New is what
	// the plan writes.
	Old, New []byte
	// Mode is the permission it is written with: its own when it exists.
	Mode fs.FileMode
}

// Plan is every file change that adds something to a repository,
// computed before anything is written, and the regeneration of
// wire_gen.go that follows them.
type Plan struct {
	repo    *Repo
	Changes []Change
}

// Diff writes what Apply would do: a unified diff of each file it
// creates or edits, then the generation it runs. It writes no file.
func (p *Plan) Diff(w io.Writer) error {
	for _, c := range p.Changes {
		from := "a/" + c.Path
		if c.Old == nil {
			from = "/dev/null"
		}
		d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: lines(c.Old), B: lines(c.New),
			FromFile: from, ToFile: "b/" + c.Path, Context: 3,
		})
		if err != nil {
			return fmt.Errorf("diff %s: %w", c.Path, err)
		}
		if _, err := io.WriteString(w, d); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "then: go tool wire gen . (regenerates %s)\n", GeneratedFile)
	return err
}

// Summary lists what Apply did (or would do), one line per file.
func (p *Plan) Summary() []string {
	var out []string
	for _, c := range p.Changes {
		verb := "edited "
		if c.Old == nil {
			verb = "created"
		}
		out = append(out, verb+" "+c.Path)
	}
	return append(out, "regenerated "+GeneratedFile)
}

// Apply writes the plan's files, then regenerates wire_gen.go with
// wire. If a write or the generation fails, it puts every file back as
// it was (the files it created are removed, wire_gen.go restored) and
// returns the error, together with any error restoring.
func (p *Plan) Apply(ctx context.Context, wire Wire) error {
	gen, err := p.snapshot(GeneratedFile)
	if err != nil {
		return err
	}
	written := make([]Change, 0, len(p.Changes)+1)
	undo := func(cause error) error {
		return errors.Join(cause, p.restore(append(written, gen)))
	}
	for _, c := range p.Changes {
		written = append(written, c) // a failed write may have left part of it
		if err := os.WriteFile(p.repo.path(c.Path), c.New, c.Mode); err != nil {
			return undo(fmt.Errorf("write %s: %w", c.Path, err))
		}
	}
	if out, err := wire(ctx, p.repo.Dir, "gen", "."); err != nil {
		return undo(fmt.Errorf("%w: %s (every file is as it was)", err, firstLines(out, 5)))
	}
	return nil
}

// snapshot is rel as it is now: a Change whose Old is its content (nil
// if it does not exist), for restore.
func (p *Plan) snapshot(rel string) (Change, error) {
	c := Change{Path: rel, Mode: 0o644}
	data, err := p.repo.read(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read %s: %w", rel, err)
	}
	info, err := os.Stat(p.repo.path(rel))
	if err != nil {
		return c, fmt.Errorf("stat %s: %w", rel, err)
	}
	c.Old, c.Mode = data, info.Mode().Perm()
	return c, nil
}

// restore puts each changed file back: its Old content, or removed.
func (p *Plan) restore(changes []Change) error {
	var errs []error
	for _, c := range changes {
		var err error
		if c.Old == nil {
			err = os.Remove(p.repo.path(c.Path))
			if errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
		} else {
			err = os.WriteFile(p.repo.path(c.Path), c.Old, c.Mode)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", c.Path, err))
		}
	}
	return errors.Join(errs...)
}

// lines splits text into its lines, each with its newline.
func lines(text []byte) []string {
	l := strings.SplitAfter(string(text), "\n")
	if l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}
