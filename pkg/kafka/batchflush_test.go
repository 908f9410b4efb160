//go:build !brokerfree

package kafka

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestPartialBatchFlushesOnRevokeAndShutdown: a batch below batch.size,
// whose linger is far away, is neither lost nor left to the next owner
// when its generation ends: it flushes at once with reason "revoke" when
// a second member joins, or "shutdown" on Stop; its messages get their
// outcome, and the final commit covers them, so nobody handles them again.
func TestPartialBatchFlushesOnRevokeAndShutdown(t *testing.T) {
	for _, reason := range []string{"revoke", "shutdown"} {
		t.Run(reason, func(t *testing.T) {
			const total = 10
			b := newTestBroker(t)
			topic := b.createTopic("batch-"+reason, 1)
			var mu sync.Mutex
			batches := map[int][][]int64{} // member -> offsets of each batch it was handed
			handlers := func(member int) *registry.Registry {
				return registry.Empty().AddBatch("b", batchFunc(func(_ context.Context, msgs []*message.Message) error {
					offsets := make([]int64, len(msgs))
					for i, m := range msgs {
						offsets[i] = m.Offset
					}
					mu.Lock()
					batches[member] = append(batches[member], offsets)
					mu.Unlock()
					return nil
				}))
			}
			cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "b", Ordering: registry.OrderingPartition,
				Batch: registry.BatchConfig{Size: 100, Linger: time.Hour}}})
			a := b.startEngine(cfg, handlers(0))
			b.produce(topic, 0, total, strconv.Itoa)
			consumertest.Eventually(t, "every message fetched into the pending batch", func() bool {
				return consumertest.Sum(t, a.reg, "kafka_consumer_fetched_total", nil) == total
			})
			mu.Lock()
			if len(batches) != 0 || consumertest.Sum(t, a.reg, "kafka_consumer_batch_flushes_total", nil) != 0 {
				t.Fatalf("a batch of %d below size %d flushed before its hour-long linger: %v", total, 100, batches)
			}
			mu.Unlock()

			var second *engineUnderTest
			if reason == "revoke" {
				second = b.startEngine(cfg, handlers(1)) // joining ends a's generation
				consumertest.Eventually(t, "the revoke flush", func() bool { return consumertest.Sum(t, a.reg, "kafka_consumer_batch_flushes_total", nil) == 1 })
				consumertest.Eventually(t, "the final commit of a's generation", allCommitted(t, b, cfg.GroupID, topic, 1))
			} else {
				a.stop(t)
			}
			for _, r := range []string{"size", "bytes", "linger", "revoke", "shutdown"} {
				want := 0.0
				if r == reason {
					want = 1
				}
				if got := testutil.ToFloat64(a.metrics.batchFlushes.WithLabelValues("b", r)); got != want {
					t.Fatalf("%v flushes with reason %s, want %v", got, r, want)
				}
			}
			if got := outcomes(a, topic, "b", delivery.OutcomeSuccess); got != total {
				t.Fatalf("%d success outcomes for the flushed batch, want %d", got, total)
			}
			if !allCommitted(t, b, cfg.GroupID, topic, 1)() {
				t.Fatal("the flushed batch is not committed")
			}
			if reason == "revoke" {
				second.stop(t)
				a.stop(t)
			}
			mu.Lock()
			defer mu.Unlock()
			want := map[int][][]int64{0: {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}}
			if len(batches) != 1 || len(batches[0]) != 1 || !slices.Equal(batches[0][0], want[0][0]) {
				t.Fatalf("batches handed out %v, want only %v: one flush of the whole pending batch, never handed again", batches, want)
			}
			assertAccounting(t, a)
		})
	}
}
