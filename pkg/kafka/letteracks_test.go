//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
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

// TestLettersAreWrittenWithAcksAll: dead letters and retry-topic letters
// are written with acks=all (-1): a write returns only once every in-sync
// replica has the letter, so the message it replaces is never committed
// past a letter that one broker's failure could lose. Seen on the embedded
// broker, in the produce requests as they arrive on the wire. (That every
// writer a publish.Producer opens, the letter writer's too, asks for
// acks=all on any broker is publish's TestProducerAsksEveryInSyncReplica.)
func TestLettersAreWrittenWithAcksAll(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("acks", 1)
	dlq, retry := topic+".dlq", topic+".retry"
	b.createExactTopic(dlq, 1)
	var wire produceAcks
	fake := b.fake()
	if fake != nil {
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

	b.produceValues(topic, 2, func(i int) (string, string) { return "k", []string{"dead", "retry"}[i] })
	consumertest.Eventually(t, "both messages dead-lettered, one through its retry round", func() bool {
		return outcomes(e, topic, "h", delivery.OutcomeDeadLettered) == 1 && outcomes(e, topic, "h", delivery.OutcomeRescheduled) == 1 &&
			outcomes(e, retry, "h", delivery.OutcomeDeadLettered) == 1
	})
	if fake == nil {
		t.Log("letters written; their acks are seen only on the embedded broker (KAFKA_BROKERS is set)")
		return
	}
	for _, letters := range []string{dlq, retry} {
		acks := wire.of(letters)
		if len(acks) == 0 {
			t.Fatalf("no produce request to %s seen on the wire", letters)
		}
		for _, a := range acks {
			if a != -1 {
				t.Fatalf("produce requests to %s on the wire have acks %v, want -1 (all)", letters, acks)
			}
		}
	}
}
