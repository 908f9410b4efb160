package kafka

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestPanicThatARetryCuresIsLoggedWithItsStack: a handler that panics on
// its first attempt and succeeds on the second ends retried, and the
// panic's stack — where it panicked — is in the log once, though no
// letter was written.
func TestPanicThatARetryCuresIsLoggedWithItsStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error {
			calls++
			if calls == 1 {
				panicInTheHandlersOwnFrame()
			}
			return nil
		}))
		r := runPartition(t, testConfig(nil), registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition}, handlers, "")
		r.feed(keyed(0, "a")...)
		time.Sleep(time.Minute) // past the retry's backoff, on the bubble's clock
		synctest.Wait()
		if got := r.outcome(delivery.OutcomeRetried); got != 1 {
			t.Fatalf("retried %d, want 1", got)
		}
		logged := r.logs.FilterMessageSnippet("panicked").All()
		if len(logged) != 1 {
			t.Fatalf("%d panic log entries, want 1: %v", len(logged), logged)
		}
		stack, _ := logged[0].ContextMap()["stack"].(string)
		if !strings.Contains(stack, "panicInTheHandlersOwnFrame") {
			t.Fatalf("the logged stack does not show where the handler panicked: %q", stack)
		}
	})
}

func panicInTheHandlersOwnFrame() { panic("nil map in order 7") }
