package service

import (
	"context"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

// DemoFaults makes the example misbehave on purpose (service.demo_fault),
// the way each production failure did, so anyone can watch the framework
// contain or expose it. Each fault is a decorator around one of the
// example's parts (see the providers in demofault_wire.go); the business
// code knows nothing of them.
//
// DemoFaults is a component: the deadlock fault's log rotation and the
// errorpath fault's open requests run in its lifecycle group, and Stop
// undoes every fault so the process still shuts down cleanly.
type DemoFaults struct {
	fault Fault
	group *lifecycle.Group

	log      *rotatingLog  // deadlock (F4)
	caches   *leakedCaches // leak (F2)
	requests *requests     // errorpath (F3)
}

// NewDemoFaults prepares the configured fault; it starts nothing.
func NewDemoFaults(cfg Config, cacheCfg cache.Config, m *cache.Metrics, log *zap.Logger) *DemoFaults {
	d := &DemoFaults{fault: cfg.Fault(), group: lifecycle.NewGroup("demo-fault")}
	switch d.fault {
	case FaultDeadlock:
		d.log = newRotatingLog(log.Named("demo-fault"))
	case FaultLeak:
		d.caches = newLeakedCaches(cacheCfg, m)
	case FaultErrorPath:
		d.requests = &requests{group: d.group}
	}
	return d
}

// Name identifies the component in lifecycle logs.
func (d *DemoFaults) Name() string { return "demo-fault" }

// Start begins log rotation for the deadlock fault; the other faults need
// nothing running.
func (d *DemoFaults) Start(context.Context) error {
	if d.log == nil {
		return nil
	}
	return d.group.Go("log-rotation", d.log.rotation)
}

// Stop undoes the faults: it breaks the deadlock, if there is one, and
// ends log rotation; it ends every request the error path left open and
// stops every cache the leak built. Decorated calls after Stop behave as
// the plain parts would.
func (d *DemoFaults) Stop(ctx context.Context) error {
	if d.log != nil {
		d.log.untangle()
	}
	err := d.group.Stop(ctx)
	if d.caches != nil {
		d.caches.stop()
	}
	return err
}

// Failed is closed if the log rotation fails.
func (d *DemoFaults) Failed() <-chan struct{} { return d.group.Failed() }

// Err says why.
func (d *DemoFaults) Err() error { return d.group.Err() }
