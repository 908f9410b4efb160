// Package leaktest lets a handler's own unit test prove it leaks no
// goroutine: production failure F2 was a handler that built a cache (with
// its own goroutine) per message and never stopped it.
package leaktest

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// Reporter is the part of testing.TB that AssertNoLeak uses.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// AssertNoLeak runs h over msgs, one after another, under a pprof label
// unique to this check (goroutines h starts inherit it), then fails t if
// any of them is still alive once settle has passed, naming where they
// are. Errors returned by h are not failures here.
func AssertNoLeak(t Reporter, h message.Handler, msgs []*message.Message) {
	t.Helper()
	// Unique without a package-level counter: a fresh allocation's
	// address tells apart checks running at once, the clock those whose
	// allocations might share an address (a leak left by an earlier check
	// keeps its label).
	id := fmt.Sprintf("leaktest-%d-%p", time.Now().UnixNano(), new(byte))
	pprof.Do(context.Background(), pprof.Labels(watchdog.LabelHandler, id), func(ctx context.Context) {
		for _, m := range msgs {
			_ = h.Handle(ctx, m)
		}
	})
	// Goroutines a call started may need a moment to finish after it
	// returned; poll until none are left or settle passes.
	const settle = 2 * time.Second
	deadline := time.Now().Add(settle)
	for {
		counts, top := watchdog.ByHandler(watchdog.Goroutines())
		if counts[id] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("handler leaked %d goroutines over %d messages; most are in:\n\t%s",
				counts[id], len(msgs), strings.Join(top[id], "\n\t"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
