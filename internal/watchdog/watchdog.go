package watchdog

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/lifecycle"
)

// Subject is what the watchdog watches: the consumer engine satisfies it.
type Subject interface {
	// Live returns nil while the subject makes progress, or what is stuck.
	Live() error
	// Inspect describes the subject's state; it must encode as JSON.
	Inspect() any
}

// Watchdog captures evidence once per episode of failed liveness: when
// Live turns from nil to an error it captures; it captures again only
// after Live recovered. It starts nothing until Start.
type Watchdog struct {
	cfg     Config
	subject Subject
	log     *zap.Logger
	group   *lifecycle.Group
}

// New describes the watchdog.
func New(cfg Config, subject Subject, log *zap.Logger) *Watchdog {
	return &Watchdog{cfg: cfg, subject: subject, log: log.Named("watchdog"), group: lifecycle.NewGroup("watchdog")}
}

// Name identifies the component in lifecycle logs.
func (w *Watchdog) Name() string { return "watchdog" }

// Start begins watching.
func (w *Watchdog) Start(context.Context) error { return w.group.Go("watch", w.watch) }

func (w *Watchdog) watch(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := w.subject.Live()
		switch {
		case err == nil && failing:
			failing = false
			w.log.Info("liveness recovered")
		case err != nil && !failing:
			failing = true
			path, cerr := Capture(w.cfg.DiagDir, w.cfg.Keep, err.Error(), w.subject.Inspect())
			if cerr != nil {
				w.log.Error("liveness failed; evidence capture failed", zap.String("reason", err.Error()), zap.Error(cerr))
				continue
			}
			w.log.Error("liveness failed; evidence captured (goroutine dump, consumer state, heap profile)",
				zap.String("reason", err.Error()), zap.String("path", path))
		}
	}
}

// Stop ends watching.
func (w *Watchdog) Stop(ctx context.Context) error { return w.group.Stop(ctx) }

// Failed is closed if the watch loop fails.
func (w *Watchdog) Failed() <-chan struct{} { return w.group.Failed() }

// Err says why the watch loop failed.
func (w *Watchdog) Err() error { return errors.Join(w.group.Err()) }
