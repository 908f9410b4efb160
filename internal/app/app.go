package app

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/lifecycle"
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

// ErrComponentFailed wraps the failure of a running component.
var ErrComponentFailed = errors.New("component failed")

// Run starts every component, waits until ctx ends (a signal) or one fails,
// then stops them. It returns nil after a clean shutdown on ctx's end.
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

// stop turns readiness off, then stops components in reverse order under
// one deadline, continuing past failures so every component gets its turn.
func (a *App) stop(started Components) error {
	a.readiness.BeginShutdown()
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	defer cancel()
	begin := time.Now()
	var errs []error
	for i := len(started) - 1; i >= 0; i-- {
		c := started[i]
		t0 := time.Now()
		err := c.Stop(ctx)
		took := time.Since(t0)
		switch {
		case err != nil && ctx.Err() != nil:
			a.log.Error("stop overran the shutdown timeout", zap.String("component", c.Name()),
				zap.Duration("took", took), zap.Duration("shutdown_timeout", a.cfg.Timeout), zap.Error(err))
			errs = append(errs, fmt.Errorf("stop %s: overran shutdown timeout %s: %w", c.Name(), a.cfg.Timeout, err))
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
