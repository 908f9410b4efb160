package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ServiceOptions say which service NewService makes, from what and where.
type ServiceOptions struct {
	// Module is the new service's module path (required).
	Module string
	// Dir is where the service is written: a directory that does not exist
	// or is empty (required).
	Dir string
	// From is the framework checkout whose example service is copied;
	// empty means the module root of the working directory.
	From string
	// Name is the service's name in its manifests, labels, dashboard and
	// alerts; empty means the last element of Module.
	Name string
	// NoExample removes the example (scripts/remove-example.sh) from the
	// new service, leaving it with no handler.
	NoExample bool
	// FrameworkReplace is the directory the framework requirement is
	// replaced by; empty (and no FrameworkVersion) means From.
	FrameworkReplace string
	// FrameworkVersion is a published framework version to require, with
	// no replace. At most one of FrameworkReplace and FrameworkVersion.
	FrameworkVersion string
	// Out receives a line per step; nil discards them.
	Out io.Writer
	// Env is the environment of the go and git commands the steps run;
	// nil means this process's.
	Env []string
}

// ServiceRefusal is NewService refusing its options or its source:
// nothing was written. Problems lists every reason found.
type ServiceRefusal struct{ Problems []error }

func (e *ServiceRefusal) Error() string { return errors.Join(e.Problems...).Error() }

// ServiceStepError is a step of NewService that failed after the files
// were written (or while writing them): Dir is left as it is, for
// inspection, and Output is what the step printed.
type ServiceStepError struct {
	Step   string
	Dir    string
	Output []byte
	Err    error
}

func (e *ServiceStepError) Error() string {
	return fmt.Sprintf("%s failed in %s: %v", e.Step, e.Dir, e.Err)
}

func (e *ServiceStepError) Unwrap() error { return e.Err }

// NewService makes a new consumer service: the service-specific parts of
// the framework checkout (the command, the root package with the
// injector, internal/, deploy/k8s and deploy/monitoring with the new
// name, scripts/remove-example.sh, the root tests of the service) under
// the new module path, a Makefile, README, .ci/run and .gitignore, and a
// go.mod that requires the framework's packages instead of copying them.
// Then, in Dir: `go mod tidy`, the example removed when asked (and
// `go mod tidy` again), `go tool wire gen .`, `git init`.
//
// Everything is checked and prepared in memory first: a refusal
// (*ServiceRefusal) writes nothing. A failure after that
// (*ServiceStepError) names its step and leaves Dir for inspection.
func NewService(ctx context.Context, o ServiceOptions) error {
	p, err := planService(o)
	if err != nil {
		return err
	}
	return p.run(ctx)
}

// servicePlan is a new service ready to be written.
type servicePlan struct {
	dir       string
	files     []sourceFile
	noExample bool
	env       []string
	out       io.Writer
}

// run writes the files and runs the steps that make the module whole.
func (p *servicePlan) run(ctx context.Context) error {
	p.say("writing %d files to %s", len(p.files), p.dir)
	if err := p.write(); err != nil {
		return &ServiceStepError{Step: "writing the files", Dir: p.dir, Err: err}
	}
	steps := [][]string{{"go", "mod", "tidy"}}
	if p.noExample {
		steps = append(steps, []string{filepath.Join(p.dir, "scripts", "remove-example.sh")}, []string{"go", "mod", "tidy"})
	}
	steps = append(steps, []string{"go", "tool", "wire", "gen", "."}, []string{"git", "init", "-q"})
	for _, s := range steps {
		name := strings.Join(s, " ")
		if strings.HasSuffix(s[0], "remove-example.sh") {
			name = "scripts/remove-example.sh"
		}
		p.say("%s", name)
		cmd := exec.CommandContext(ctx, s[0], s[1:]...)
		cmd.Dir, cmd.Env = p.dir, p.env
		if out, err := cmd.CombinedOutput(); err != nil {
			return &ServiceStepError{Step: name, Dir: p.dir, Output: out, Err: err}
		}
	}
	return nil
}

func (p *servicePlan) write() error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return err
	}
	for _, f := range p.files {
		path := filepath.Join(p.dir, filepath.FromSlash(f.rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

func (p *servicePlan) say(format string, args ...any) {
	fmt.Fprintf(p.out, "== "+format+"\n", args...)
}
