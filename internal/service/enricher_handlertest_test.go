package service

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// order is an input message as the demo feed writes it: keyed by customer.
func order(customer, value string) message.Message {
	return message.Message{Key: []byte(customer), Value: []byte(value)}
}

// TestOrdersEnricherAsTheEngineRunsIt runs the enricher under its own
// registration (batches, the default retry policy, a dead-letter topic)
// through the engine's partition run: the engine, not the test, decides
// each order's outcome from what the enricher returns.
func TestOrdersEnricherAsTheEngineRunsIt(t *testing.T) {
	cfg := DefaultConfig()
	t.Run("a malformed order is dead-lettered with its reason, a good one succeeds", func(t *testing.T) {
		pub := &handlertest.Publisher{}
		h, _ := newEnricher(t, pub)
		res := handlertest.Run(t, OrdersEnricherRegistration(h, cfg),
			order("c-00001", validOrder("o-1", "c-00001")),
			order("c-00002", `{"id":`),
		)
		if got, want := res.Outcomes(), []handlertest.Outcome{handlertest.Success, handlertest.DeadLettered}; !slices.Equal(got, want) {
			t.Fatalf("outcomes %v, want %v", got, want)
		}
		// Permanent: one attempt, and the letter's reason is the decode
		// error itself, with no "gave up after N attempts" in front.
		letters := res.DeadLetters()
		if a := res.Deliveries[1].Attempts; a != 1 || letters[0].Topic != cfg.InputTopic+".dlq" ||
			!strings.HasPrefix(letters[0].Reason, "decode order: ") {
			t.Fatalf("the malformed order took %d attempts and was written to %s because %q; want 1 attempt, %s.dlq, the decode error",
				a, letters[0].Topic, letters[0].Reason, cfg.InputTopic)
		}
		if got := pub.Published(); len(got) != 1 || got[0].Topic != cfg.OutputTopic || string(got[0].Key) != "c-00001" {
			t.Fatalf("published %v, want the good order on %s keyed by its customer", got, cfg.OutputTopic)
		}
	})
	t.Run("a failing sink write is retried", func(t *testing.T) {
		// The first write of each order fails, whichever batch the
		// linger put it in.
		written := map[string]bool{}
		pub := &handlertest.Publisher{Fail: func(_ int, msgs []message.Message) error {
			fail := false
			for _, m := range msgs {
				fail = fail || !written[string(m.Key)]
				written[string(m.Key)] = true
			}
			if fail {
				return errors.New("broker unavailable")
			}
			return nil
		}}
		h, _ := newEnricher(t, pub)
		res := handlertest.Run(t, OrdersEnricherRegistration(h, cfg),
			order("c-00001", validOrder("o-1", "c-00001")),
			order("c-00002", validOrder("o-2", "c-00002")),
		)
		for i, d := range res.Deliveries {
			if d.Outcome != handlertest.Retried || d.Attempts != 2 {
				t.Fatalf("order %d: %s after %d attempts (%v), want retried after 2", i, d.Outcome, d.Attempts, d.Err)
			}
		}
		if got := pub.Published(); len(got) != 2 {
			t.Fatalf("published %d orders after the retry, want both", len(got))
		}
	})
}

// failures records what a check reports instead of failing the test, so
// a test can see VerifyNoLeaks fail.
type failures struct{ said []string }

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	f.said = append(f.said, fmt.Sprintf(format, args...))
}
func (f *failures) Fatalf(format string, args ...any) { f.Errorf(format, args...) }

// TestOrdersEnricherLeavesNoGoroutines: the enricher, its customer lookups
// going through the shared cache, leaves nothing running after a batch;
// under the leak fault (F2: a cache, with its worker goroutine, per
// lookup) the same check reports the leak and names ccache.
func TestOrdersEnricherLeavesNoGoroutines(t *testing.T) {
	cfg := DefaultConfig()
	var msgs []message.Message
	for i := range 20 {
		c := fmt.Sprintf("c-%05d", i%5+1)
		msgs = append(msgs, order(c, validOrder(fmt.Sprintf("o-%d", i), c)))
	}
	h, _ := newEnricher(t, &handlertest.Publisher{})
	handlertest.VerifyNoLeaks(t, OrdersEnricherRegistration(h, cfg), msgs...)

	e := buildExample(t, FaultLeak)
	var leak failures
	handlertest.VerifyNoLeaks(&leak, OrdersEnricherRegistration(e.handler, cfg), msgs...)
	if len(leak.said) != 1 || !strings.Contains(leak.said[0], "ccache") {
		t.Fatalf("under the leak fault VerifyNoLeaks said %q; want one report naming ccache", leak.said)
	}
}
