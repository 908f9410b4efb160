package handlertest

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestRunFailsWhenTheEngineRefusesTheSubscription: a configuration the
// engine would refuse at start fails the test with the engine's reason.
func TestRunFailsWhenTheEngineRefusesTheSubscription(t *testing.T) {
	batch := message.BatchHandlerFunc(func(context.Context, []*message.Message) error { return nil })
	r := &recorder{}
	res := New(registry.Batch("sink", batch)).Subscription(fast(3)).Run(r, values("x")...) // no batch size
	if f := r.failures(); len(f) != 1 || !strings.Contains(f[0], `"sink" is a batch handler, but batch.size is not set`) {
		t.Fatalf("failures %q, want the engine's reason", f)
	}
	if len(res.Deliveries) != 0 {
		t.Fatalf("a refused run returned deliveries: %v", res.Deliveries)
	}
}

// TestRunFailsWhenAMessageNeverReachesAnOutcome: a handler that ignores
// its context and never returns fails the test once consumertest.Patience has passed,
// saying how many messages reached an outcome, instead of hanging it. (On
// the bubble's clock: the two minutes take none.)
func TestRunFailsWhenAMessageNeverReachesAnOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		stuck := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			if string(m.Value) == "stuck" {
				<-release // ignores its context: a zombie
			}
			return nil
		})
		r := &recorder{}
		New(registry.Handler("stuck", stuck)).Subscription(fast(1)).Run(r, values("ok", "stuck")...)
		close(release) // let the abandoned call end, so the bubble can
		f := r.failures()
		if len(f) != 1 || !strings.Contains(f[0], "handler stuck: run in memory: 1 of 2 messages have an outcome: "+context.DeadlineExceeded.Error()) {
			t.Fatalf("failures %q, want one saying 1 of 2 messages reached an outcome before the deadline", f)
		}
	})
}

// TestPublisherRecordsAndFailsAsTold: Publish records in order, and a
// call Fail picks fails without recording anything.
func TestPublisherRecordsAndFailsAsTold(t *testing.T) {
	p := &Publisher{Fail: func(n int, _ []message.Message) error {
		if n == 2 {
			return context.DeadlineExceeded
		}
		return nil
	}}
	ctx := context.Background()
	one, two, three := message.Message{Topic: "out", Value: []byte("1")}, message.Message{Topic: "out", Value: []byte("2")}, message.Message{Topic: "out", Value: []byte("3")}
	if err := p.Publish(ctx, one, two); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, three); err != context.DeadlineExceeded {
		t.Fatalf("second call: %v, want Fail's error", err)
	}
	if err := p.Publish(ctx, three); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range p.Published() {
		got = append(got, string(m.Value))
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Fatalf("published %v, want 1,2,3 (the failed call records nothing)", got)
	}
}
