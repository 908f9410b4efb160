package kafka

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestAPanicInAServicesMiddlewareIsAFailureLikeAnyOther: middleware.Recover
// guards only the handler, under the service's middleware; a panic in the
// service's middleware is caught by the engine, counted, retried and
// dead-lettered like a handler's, its letter naming the middleware and
// its stack going to the log only.
func TestAPanicInAServicesMiddlewareIsAFailureLikeAnyOther(t *testing.T) {
	handled := 0
	explode := func(message.Call) message.Call {
		return func(context.Context, []*message.Message) error { panic("tracer not configured") }
	}
	handlers := registry.Empty().Use(explode).Add("h", message.HandlerFunc(func(context.Context, *message.Message) error {
		handled++
		return nil
	}))
	sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(2), DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	r := newRig(t, testConfig(nil), sub, handlers)
	r.deliver(messages(0, 1)...)

	if handled != 0 || r.outcome(delivery.OutcomeDeadLettered) != 1 || r.outcomes() != 1 {
		t.Fatalf("handler called %d times, dead_lettered %d of %d outcomes; want 0, 1, 1", handled, r.outcome(delivery.OutcomeDeadLettered), r.outcomes())
	}
	if got := testutil.ToFloat64(r.e.metrics.panics.WithLabelValues("t", "h")); got != 2 {
		t.Fatalf("panics counted %v, want one per attempt: 2", got)
	}
	letters := r.letters.letters()
	if len(letters) != 1 {
		t.Fatalf("%d letters, want 1", len(letters))
	}
	if got := header(letters[0], dlq.HeaderError); got != "gave up after 2 attempts: middleware panicked: tracer not configured" {
		t.Fatalf("letter's error %q", got)
	}
	logged := r.logs.FilterMessage("message dead-lettered").All()
	if len(logged) != 1 || !strings.Contains(fmt.Sprint(logged[0].ContextMap()["stack"]), "TestAPanicInAServicesMiddlewareIsAFailureLikeAnyOther") {
		t.Fatal("the dead-letter log line must carry the panic's stack")
	}
}
