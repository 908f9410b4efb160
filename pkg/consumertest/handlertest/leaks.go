package handlertest

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/message/middleware"
	"github.com/consumerkit/consumerkit/pkg/registry"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// Settle is how long VerifyNoLeaks lets goroutines that a call started end
// after the call returned (an asynchronous flush, say) before it counts
// them as leaked.
const Settle = 2 * time.Second

// VerifyNoLeaks calls the handler reg declares, through its own middleware
// and Recover (a panic is an error here, as in the engine), once per
// message — a batch handler once with all of msgs — one call after
// another, under a pprof handler label unique to this check. Goroutines
// started during a call inherit the label, as they inherit the handler's
// label under the engine, which is how the watchdog attributes leaks in
// production. Once Settle has passed, it fails t (Errorf) if any goroutine
// with the label is still alive, saying how many and the stack most of
// them are in. What the handler returns is not checked here.
func VerifyNoLeaks(t consumertest.TB, reg registry.Registration, msgs ...message.Message) {
	t.Helper()
	handlers, err := registry.New(reg)
	if err != nil {
		t.Fatalf("handlertest: %v", err)
		return
	}
	entry, _ := handlers.Lookup(reg.Name())
	call := message.Chain(entry.Call, append(entry.Middleware, middleware.Recover(nil))...)
	ptrs := make([]*message.Message, len(msgs))
	for i := range msgs {
		m := msgs[i]
		ptrs[i] = &m
	}
	// Unique without a package-level counter: a fresh allocation's address
	// tells apart checks running at once, the clock those whose
	// allocations might share an address (a leak left by an earlier check
	// keeps its label).
	id := fmt.Sprintf("handlertest-%s-%d-%p", reg.Name(), time.Now().UnixNano(), new(byte))
	pprof.Do(context.Background(), pprof.Labels(watchdog.LabelHandler, id), func(ctx context.Context) {
		if entry.Batch {
			_ = call(ctx, ptrs)
			return
		}
		for _, m := range ptrs {
			_ = call(ctx, []*message.Message{m})
		}
	})
	// The check's own wait, bounded by Settle rather than by
	// consumertest.Patience: a goroutine alive after Settle is the finding,
	// not a hung test.
	deadline := time.Now().Add(Settle)
	for {
		counts, top := watchdog.ByHandler(watchdog.Goroutines())
		if counts[id] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("handler %s leaked %d goroutines over %d messages; most are in:\n\t%s",
				reg.Name(), counts[id], len(msgs), strings.Join(top[id], "\n\t"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
