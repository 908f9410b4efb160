package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

// ErrStopping is returned by Go once Stop has begun: a group that is shutting
// down never takes new work.
var ErrStopping = errors.New("lifecycle: group is stopping")

// Group runs named background tasks and stops them together.
//
// Guarantees:
//   - Go never starts a task after Stop has begun.
//   - Each task receives a context that is cancelled when Stop begins.
//   - A task that returns a non-nil error (other than its context's
//     cancellation after Stop began) or panics is reported: Failed is closed
//     and Err returns the joined errors, each carrying the task's name; a
//     panic is a *PanicError, and its report ends with the stack.
//   - Stop waits for every task, is idempotent, and names the tasks still
//     running when its context ends.
//
// The zero value is not usable; call NewGroup. A Group is safe for
// concurrent use.
type Group struct {
	name   string
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	stopping bool
	running  map[*task]struct{} // for Running and Stop's report
	errs     []error
	wg       sync.WaitGroup

	failed     chan struct{}
	failedOnce sync.Once
	stopped    chan struct{}
	stopOnce   sync.Once
}

// NewGroup returns an empty group; name prefixes its reports. It starts
// nothing.
func NewGroup(name string) *Group {
	ctx, cancel := context.WithCancel(context.Background())
	return &Group{
		name:    name,
		ctx:     ctx,
		cancel:  cancel,
		running: make(map[*task]struct{}),
		failed:  make(chan struct{}),
		stopped: make(chan struct{}),
	}
}

// Go starts fn in a new goroutine under name. fn must return when its
// context is cancelled. Go returns ErrStopping, and does not run fn, once
// Stop has begun.
func (g *Group) Go(name string, fn func(ctx context.Context) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopping {
		return fmt.Errorf("%s: start %s: %w", g.name, name, ErrStopping)
	}
	t := &task{name: name}
	g.running[t] = struct{}{}
	g.wg.Add(1)
	go g.run(t, fn)
	return nil
}

// task is one running task; its address identifies it, so two tasks with
// the same name are still two entries.
type task struct{ name string }

func (g *Group) run(t *task, fn func(ctx context.Context) error) {
	defer g.wg.Done()
	err := g.call(t.name, fn)
	g.mu.Lock()
	delete(g.running, t)
	// A task ending with its own context's cancellation once Stop began did
	// what it was asked; anything else it returns is a failure.
	failed := err != nil && !(g.stopping && errors.Is(err, context.Canceled))
	if failed {
		g.errs = append(g.errs, g.report(t.name, err))
	}
	g.mu.Unlock()
	if failed {
		g.failedOnce.Do(func() { close(g.failed) })
	}
}

// call runs fn and turns a panic into an error, so one broken task is
// reported instead of taking the process down without a word.
func (g *Group) call(name string, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{What: "task " + name, Value: r, Stack: debug.Stack()}
		}
	}()
	return fn(g.ctx)
}

// report is what Err says of a failed task, named. A panic's report ends
// with its stack: it goes to the log of whoever reads Err, the one place
// a task's stack is seen.
func (g *Group) report(task string, err error) error {
	var pe *PanicError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w\n%s", g.name, err, pe.Stack)
	}
	return fmt.Errorf("%s: task %s: %w", g.name, task, err)
}

// Failed is closed when the first task fails; Err then says why.
func (g *Group) Failed() <-chan struct{} { return g.failed }

// Err returns every task failure so far, joined, or nil.
func (g *Group) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.errs...)
}

// Running returns the names of the tasks that have not returned, sorted.
func (g *Group) Running() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	names := make([]string, 0, len(g.running))
	for t := range g.running {
		names = append(names, t.name)
	}
	slices.Sort(names)
	return names
}

// Stop refuses new tasks, cancels every task's context and waits for all of
// them to return. It returns nil once they have, or, when ctx ends first, an
// error wrapping ctx.Err() that names the tasks still running (they keep
// running: Go cannot kill a goroutine). Stop is idempotent: a later or
// concurrent call waits for the same tasks under its own ctx. Task failures
// are not returned by Stop; read them with Err.
func (g *Group) Stop(ctx context.Context) error {
	g.stopOnce.Do(func() {
		g.mu.Lock()
		g.stopping = true
		g.mu.Unlock()
		g.cancel()
		go func() {
			g.wg.Wait()
			close(g.stopped)
		}()
	})
	select {
	case <-g.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: still running after stop: %s: %w",
			g.name, strings.Join(g.Running(), ", "), ctx.Err())
	}
}
