//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestUnpositionablePartitionFailsLiveness (issue 9, finding 6): a
// partition whose reader cannot be positioned is not left silently idle
// for the generation: liveness names it and kafka_consumer_stalled is 1.
func TestUnpositionablePartitionFailsLiveness(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("unpositionable", 2)
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
	e := b.startEngineWith(cfg, registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return nil })),
		func(e *Engine) {
			open := e.openReader
			e.openReader = func(topic string, partition int, report func(string)) partitionReader {
				r := open(topic, partition, report)
				if partition == 1 {
					return unpositionable{r}
				}
				return r
			}
		})
	consumertest.Eventually(t, "liveness to name the partition", func() bool {
		err := e.Live()
		return err != nil && strings.Contains(err.Error(), topic+"/1 cannot be consumed: cannot position the partition reader")
	})
	if v, _ := gauge(t, e.reg, "kafka_consumer_stalled", map[string]string{"topic": topic, "partition": "1"}); v != 1 {
		t.Fatalf("kafka_consumer_stalled = %v", v)
	}
}

type unpositionable struct{ partitionReader }

func (unpositionable) SetOffset(int64) error { return errors.New("reader closed") }

// TestStopFitsItsDeadlineWithAStuckHandler (issue 9, finding 5): when the
// shutdown gives the consumer less time than drain_timeout +
// zombie_grace, the drain is shortened so that abandoning a call that
// ignores its context, the final commit and leaving the group still fit:
// Stop returns within its context, and the components after it keep their
// share.
func TestStopFitsItsDeadlineWithAStuckHandler(t *testing.T) {
	b := newTestBroker(t)
	topic := b.createTopic("stop-share", 1)
	release, stuck := newGate(), make(chan struct{})
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		if m.Offset == 2 {
			close(stuck)
			release.wait() // ignores its context
		}
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "h", Ordering: registry.OrderingPartition}})
	cfg.DrainTimeout, cfg.ZombieGrace, cfg.CloseTimeout = 10*time.Second, time.Second, 2*time.Second
	e := b.startEngine(cfg, registry.Empty().Add("h", h))
	t.Cleanup(release.open)
	b.produce(topic, 0, 5, strconv.Itoa)
	<-stuck
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second) // less than drain 10s + grace 1s
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatalf("Stop overran its share of the shutdown: %v", err)
	}
	if committed, _ := b.committedAndEnd(cfg.GroupID, topic, 1); committed[0] != 2 {
		t.Fatalf("final commit at %d, want the stuck offset 2", committed[0])
	}
}
