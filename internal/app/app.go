package app

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

// Component is one part of the service with a lifecycle.
type Component interface {
	// Name identifies the component in logs and errors.
	Name() string
	// Start begins the component's work and returns once it is under way.
	// It must not block for the component's lifetime.
	Start(ctx context.Context) error
	// Stop ends the component's work within ctx; it is called once, only
	// after a successful Start.
	Stop(ctx context.Context) error
	// Failed is closed when the component's background work fails on its
	// own; Err then says why. A nil channel means it never fails this way.
	Failed() <-chan struct{}
	Err() error
}

// Readiness is told that shutdown began, before anything stops, so the
// service is taken out of rotation first.
type Readiness interface {
	BeginShutdown()
}

// Components lists components in start order; they stop in reverse.
type Components []Component

// App is the running service.
type App struct {
	cfg        lifecycle.ShutdownConfig
	log        *zap.Logger
	readiness  Readiness
	components Components
}

// New assembles the app; it starts nothing.
func New(cfg lifecycle.ShutdownConfig, log *zap.Logger, readiness Readiness, components Components) *App {
	return &App{cfg: cfg, log: log.Named("app"), readiness: readiness, components: components}
}

// Components returns the app's components in start order, as a copy the
// caller may keep. It is how a caller reads what a component reports once
// started — the bound address of a listener configured with port 0, say —
// without the injector handing that component out separately. Safe to call
// while Run runs; what each component reports is its own concern.
func (a *App) Components() Components { return slices.Clone(a.components) }

// ErrComponentFailed wraps the failure of a running component.
var ErrComponentFailed = errors.New("component failed")

// Run starts every component, waits until ctx ends (a signal) or one fails,
// then stops the started ones within the shutdown timeout, each with its own
// share of it (see stop). It returns nil after a clean shutdown on ctx's end.
func (a *App) Run(ctx context.Context) error {
	started := 0
	var cause error
	for _, c := range a.components {
		t0 := time.Now()
		if err := c.Start(ctx); err != nil {
			cause = fmt.Errorf("start %s: %w", c.Name(), err)
			a.log.Error("start failed", zap.String("component", c.Name()), zap.Error(err))
			break
		}
		started++
		a.log.Info("started", zap.String("component", c.Name()), zap.Duration("took", time.Since(t0)))
	}
	if cause == nil {
		cause = a.wait(ctx)
	}
	stopErr := a.stop(a.components[:started])
	return errors.Join(cause, stopErr)
}

// wait blocks until ctx ends (nil: an orderly shutdown) or a component
// fails (its error).
func (a *App) wait(ctx context.Context) error {
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}}
	for _, c := range a.components {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Failed())})
	}
	a.log.Info("running")
	chosen, _, _ := reflect.Select(cases)
	if chosen == 0 {
		a.log.Info("shutdown requested", zap.NamedError("reason", context.Cause(ctx)))
		return nil
	}
	c := a.components[chosen-1]
	err := fmt.Errorf("%w: %s: %w", ErrComponentFailed, c.Name(), c.Err())
	a.log.Error("component failed; shutting down", zap.String("component", c.Name()), zap.Error(c.Err()))
	return err
}

// stop turns readiness off, then stops components in reverse order within
// a.cfg.Timeout (T) of being called, continuing past failures so every
// component gets its turn. It returns every stop failure joined, each naming
// its component.
//
// The deadline is shared out rather than shared: with n components, each
// one's Stop gets a context whose deadline is T/(2n) earlier for every
// component still to stop after it. What each component is guaranteed:
//
//   - no context expires after the overall deadline, start of stop + T;
//   - the first to stop (the last started) may use the most, T·(n+1)/(2n),
//     which is all of T when it is the only one;
//   - each later component gets at least T/(2n) from when the one before it
//     returned, however long that one took, provided it returned once its
//     own context was done. A Stop that ignores its context still holds up
//     everything after it: nothing here can preempt it.
//
// Without the reserve a component stuck in Stop (a consumer waiting on a
// deadlocked handler) would spend the whole deadline and hand everything
// after it an expired context, so none of them could close cleanly.
//
// A component whose Stop fails after its own context ended is reported as
// having overrun its share, with the share it was given.
func (a *App) stop(started Components) error {
	a.readiness.BeginShutdown()
	begin := time.Now()
	// The parent carries the overall deadline so no share can outlast it,
	// whatever the arithmetic below does with rounding.
	parent, cancel := context.WithDeadline(context.Background(), begin.Add(a.cfg.Timeout))
	defer cancel()
	overall, _ := parent.Deadline()
	var reserve time.Duration
	if n := len(started); n > 0 {
		reserve = a.cfg.Timeout / time.Duration(2*n)
	}
	var errs []error
	for i := len(started) - 1; i >= 0; i-- {
		c, later := started[i], i
		t0 := time.Now()
		deadline := overall.Add(-time.Duration(later) * reserve)
		expired, err := stopWithin(parent, deadline, c)
		took := time.Since(t0)
		switch {
		case err != nil && expired:
			share := deadline.Sub(t0)
			a.log.Error("stop overran the shutdown timeout", zap.String("component", c.Name()),
				zap.Duration("took", took), zap.Duration("share", share), zap.Time("deadline", deadline),
				zap.Duration("shutdown_timeout", a.cfg.Timeout), zap.Error(err))
			errs = append(errs, fmt.Errorf("stop %s: overran its share %s of shutdown timeout %s: %w",
				c.Name(), share.Round(time.Millisecond), a.cfg.Timeout, err))
		case err != nil:
			a.log.Error("stop failed", zap.String("component", c.Name()), zap.Duration("took", took), zap.Error(err))
			errs = append(errs, fmt.Errorf("stop %s: %w", c.Name(), err))
		default:
			a.log.Info("stopped", zap.String("component", c.Name()), zap.Duration("took", took))
		}
	}
	a.log.Info("shutdown complete", zap.Duration("took", time.Since(begin)), zap.Int("errors", len(errs)))
	return errors.Join(errs...)
}

// stopWithin stops c under a context derived from parent that ends at
// deadline, and reports whether that context had ended by the time Stop
// returned. The context is released as soon as Stop returns, so a component
// that finishes early holds no timer for the rest of the shutdown.
func stopWithin(parent context.Context, deadline time.Time, c Component) (expired bool, err error) {
	ctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()
	err = c.Stop(ctx)
	return ctx.Err() != nil, err
}
