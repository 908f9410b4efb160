package service

import (
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Fault names a demo fault (service.demo_fault); the empty Fault is none.
type Fault string

// The demo faults, one per production failure the framework exists for.
const (
	FaultBatchStall Fault = "batchstall" // F1: a batch stage the traffic never fills
	FaultLeak       Fault = "leak"       // F2: a cache, with its goroutine, per lookup
	FaultErrorPath  Fault = "errorpath"  // F3: an early return skips a release
	FaultDeadlock   Fault = "deadlock"   // F4: a nested read lock against a waiting writer
	FaultSlow       Fault = "slow"       // F5: an 800ms downstream
	// FaultPanic is no production failure of its own: the handler panics,
	// deep in a call stack, on the first attempt of 0.1% of the orders,
	// to watch panics recovered, counted and retried (and the soak run
	// them for an hour).
	FaultPanic Fault = "panic"
)

// Fault returns the configured demo fault.
func (c Config) Fault() Fault { return Fault(c.DemoFault) }

// stallBatchSize is batchstall's batch size: the default max_inflight,
// the largest batch the engine accepts. The demo's traffic (50 orders a
// second per partition at the default rate) brings about 10 per linger,
// so only the linger deadline ever flushes. With max_inflight set below
// it, validation refuses the fault with a message saying so.
const stallBatchSize = 1000

// slowBatchSize bounds slow's batches. Behind an 800ms write, a full
// batch of the default 100 would still keep up with the demo's 50 orders
// a second per partition; batches of 10 keep up with 12.5, so the backlog
// grows.
const slowBatchSize = 10

// leakSampling is how often the leak fault has the watchdog count
// goroutines: with the default three rising samples, the leak detector
// fires about four seconds after the leak starts, instead of the forty
// the default ten-second interval takes.
const leakSampling = time.Second

// errorPathBadRate is the share of malformed demo orders errorpath sends
// unless demo.bad_rate says otherwise: two a second at the default rate.
const errorPathBadRate = 0.01

// ShapeSubscription adjusts the example's subscription of its input topic
// so that the fault shows at the demo's traffic within seconds:
// batchstall makes its batch stage one that never fills; slow makes its
// batches small; deadlock gives each message a single attempt, because a
// deadlocked call never returns and a retry only adds a zombie. The retry
// budget is then one handler_timeout, so the demo runs with any
// stall_timeout above it (the README's 1s and 3s). A subscription without
// a batch stage keeps having none; other faults leave it alone.
func (f Fault) ShapeSubscription(s *registry.Subscription) {
	switch {
	case f == FaultBatchStall && s.Batch.Size > 0:
		s.Batch.Size = stallBatchSize
	case f == FaultSlow && s.Batch.Size > 0:
		s.Batch.Size = min(s.Batch.Size, slowBatchSize)
	case f == FaultDeadlock:
		s.Retry.MaxAttempts = 1
	}
}

// DemoBadRate returns the share of malformed orders the demo producer
// sends: errorpath needs some, so 1% unless the operator chose a share.
func (f Fault) DemoBadRate(configured float64) float64 {
	if f == FaultErrorPath && configured == 0 {
		return errorPathBadRate
	}
	return configured
}

// LeakInterval returns how often the watchdog counts goroutines per
// handler: under the leak fault at most every second, so its detector
// fires within seconds; otherwise as configured.
func (f Fault) LeakInterval(configured time.Duration) time.Duration {
	if f == FaultLeak {
		return min(configured, leakSampling)
	}
	return configured
}
