//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/produce"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// produceAcks records the acks of every produce request, by topic.
type produceAcks struct {
	mu   sync.Mutex
	acks map[string][]int16
}

func (p *produceAcks) add(topic string, acks int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.acks == nil {
		p.acks = map[string][]int16{}
	}
	p.acks[topic] = append(p.acks[topic], acks)
}

func (p *produceAcks) of(topic string) []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acks[topic])
}

// observedTransport passes requests on, recording the acks of produce
// requests: what the writer asks the broker for, on any broker.
type observedTransport struct {
	next kafkago.RoundTripper
	seen *produceAcks
}

func (o observedTransport) RoundTrip(ctx context.Context, addr net.Addr, req kafkago.Request) (kafkago.Response, error) {
	if r, ok := req.(*produce.Request); ok {
		for _, t := range r.Topics {
			o.seen.add(t.Topic, r.Acks)
		}
	}
	return o.next.RoundTrip(ctx, addr, req)
}

// TestLettersAreWrittenWithAcksAll: dead letters and retry-topic letters
// are written with acks=all (-1): a write returns only once every in-sync
// replica has the letter, so the message it replaces is never committed
// past a letter that one broker's failure could lose. Seen twice: in the
// requests the letter writer hands its transport (any broker), and, on the
// embedded broker, in the produce requests as they arrive on the wire.
func TestLettersAreWrittenWithAcksAll(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("acks", 1)
	dlq, retry := topic+".dlq", topic+".retry"
	b.createExactTopic(dlq, 1)
	var wire produceAcks
	if fake := b.embedded(); fake != nil {
		fake.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
			for _, t := range req.(*kmsg.ProduceRequest).Topics {
				wire.add(t.Topic, req.(*kmsg.ProduceRequest).Acks)
			}
			return nil, nil, false // observe only: the broker handles it
		})
	}
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if string(m.Value) == "dead" {
			return message.Permanent(errors.New("poison"))
		}
		return errors.New("downstream down") // "retry": rescheduled, then dead-lettered after its round
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition,
		Retry:      registry.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond},
		RetryTopic: registry.RetryTopicConfig{Enabled: true, Delay: 100 * time.Millisecond, Rounds: 1},
		DeadLetter: registry.DeadLetterConfig{Enabled: true, Topic: dlq}}})
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	// The letter writer was opened by Start and has written nothing yet;
	// its transport is swapped under its lock, which every write takes.
	var asked produceAcks
	lp := e.letters.(*letterProducer)
	lp.mu.Lock()
	lp.writer.Transport = observedTransport{next: lp.writer.Transport, seen: &asked}
	lp.mu.Unlock()

	b.produceValues(topic, 2, func(i int) (string, string) { return "k", []string{"dead", "retry"}[i] })
	waitFor(t, "both messages dead-lettered, one through its retry round", func() bool {
		return outcomes(e, topic, "h", delivery.OutcomeDeadLettered) == 1 && outcomes(e, topic, "h", delivery.OutcomeRescheduled) == 1 &&
			outcomes(e, retry, "h", delivery.OutcomeDeadLettered) == 1
	})
	type instrument struct {
		how  string
		seen *produceAcks
	}
	instruments := []instrument{{"asked of the transport", &asked}}
	if b.embedded() != nil {
		instruments = append([]instrument{{"on the wire", &wire}}, instruments...)
	}
	for _, in := range instruments {
		how, seen := in.how, in.seen
		for _, letters := range []string{dlq, retry} {
			acks := seen.of(letters)
			if len(acks) == 0 {
				t.Fatalf("no produce request to %s seen %s", letters, how)
			}
			for _, a := range acks {
				if a != -1 {
					t.Fatalf("produce requests to %s %s have acks %v, want -1 (all)", letters, how, acks)
				}
			}
		}
	}
	t.Logf("letters written with acks=all: %d instruments, dead-letter topic %v, retry topic %v (requests asked of the transport)",
		len(instruments), asked.of(dlq), asked.of(retry))
}
