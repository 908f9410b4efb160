package watchdog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
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

	goroutines *prometheus.GaugeVec
	suspected  *prometheus.GaugeVec
}

// New describes the watchdog and registers its metrics on reg.
func New(cfg Config, subject Subject, reg prometheus.Registerer, log *zap.Logger) (*Watchdog, error) {
	w := &Watchdog{cfg: cfg, subject: subject, log: log.Named("watchdog"), group: lifecycle.NewGroup("watchdog"),
		goroutines: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kafka_consumer_goroutines",
			Help: "Goroutines working for each handler (its workers and whatever they started), from the labelled goroutine profile.",
		}, []string{"handler"}),
		suspected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kafka_consumer_leak_suspected",
			Help: "1 while a handler's goroutines have grown at every recent sample: a goroutine leak (F2).",
		}, []string{"handler"}),
	}
	for _, c := range []prometheus.Collector{w.goroutines, w.suspected} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("watchdog: register metrics: %w", err)
		}
	}
	return w, nil
}

// Name identifies the component in lifecycle logs.
func (w *Watchdog) Name() string { return "watchdog" }

// Start begins watching liveness and goroutines.
func (w *Watchdog) Start(context.Context) error {
	if err := w.group.Go("watch", w.watch); err != nil {
		return err
	}
	return w.group.Go("leaks", w.watchLeaks)
}

// watchLeaks counts goroutines per handler label at every LeakInterval,
// publishes the counts, and flags handlers whose count grew at each of the
// last LeakSamples samples by LeakGrowth in all, logging where most of
// them are.
func (w *Watchdog) watchLeaks(ctx context.Context) error {
	t := time.NewTicker(w.cfg.LeakInterval)
	defer t.Stop()
	leaks := newLeaks(w.cfg.LeakSamples, w.cfg.LeakGrowth)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		counts, top := ByHandler(Goroutines())
		for _, h := range leaks.sample(counts) {
			if leaks.suspected[h] {
				w.suspected.WithLabelValues(h).Set(1)
				w.log.Warn("goroutine leak suspected: a handler's goroutines keep growing",
					zap.String("handler", h), zap.Ints("recent_counts", leaks.recent[h]), zap.Strings("where_most_are", top[h]))
			} else {
				w.suspected.WithLabelValues(h).Set(0)
				w.log.Info("goroutine leak no longer suspected", zap.String("handler", h))
			}
		}
		for h := range leaks.recent {
			w.goroutines.WithLabelValues(h).Set(float64(leaks.last(h)))
		}
	}
}

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
		if err == nil && failing {
			failing = false
			w.log.Info("liveness recovered")
		} else if err != nil && !failing {
			failing = true
			path, cerr := Capture(w.cfg.DiagDir, w.cfg.Keep, w.cfg.MaxCaptureBytes, err.Error(), w.subject.Inspect())
			if cerr != nil {
				// A cut capture still holds what it wrote: say where.
				w.log.Error("liveness failed; evidence capture failed", zap.String("reason", err.Error()),
					zap.String("path", path), zap.Error(cerr))
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
