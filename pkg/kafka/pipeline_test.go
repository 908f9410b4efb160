//go:build !brokerfree

package kafka

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestF1RareBatchStageNeverStallsOrderedPipeline reproduces production
// failure F1 through Kafka: an ordered stage passes messages through and
// sends one in 1,000 on to a batch stage of size 100, which therefore never
// fills. The linger deadline flushes every batch, so nothing stalls: every
// message passes, every qualifying one is handled, and both topics are
// committed to their end.
func TestF1RareBatchStageNeverStallsOrderedPipeline(t *testing.T) {
	const total, partitions, every = 20_000, 2, 1000
	b := newTestBroker(t)
	events := b.createTopic("f1-events", partitions)
	rare := b.createTopic("f1-rare", partitions)

	pub := b.startPublisher()

	var passed, batched atomic.Int64
	var mu sync.Mutex
	var batchSizes []int
	handlers := registry.Empty().
		Add("route", message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			id, _ := strconv.Atoi(string(m.Value))
			if id%every == 0 {
				if err := pub.Publish(ctx, message.Message{Topic: rare, Key: m.Key, Value: m.Value}); err != nil {
					return err
				}
			}
			passed.Add(1)
			return nil
		})).
		AddBatch("rare-batch", batchFunc(func(_ context.Context, msgs []*message.Message) error {
			mu.Lock()
			batchSizes = append(batchSizes, len(msgs))
			mu.Unlock()
			batched.Add(int64(len(msgs)))
			return nil
		}))
	linger := 300 * time.Millisecond
	cfg := testConfig([]registry.Subscription{
		{Topic: events, Handler: "route", Ordering: registry.OrderingPartition},
		{Topic: rare, Handler: "rare-batch", Ordering: registry.OrderingPartition, Batch: registry.BatchConfig{Size: 100, Linger: linger}},
	})
	e := b.startEngine(cfg, handlers)
	b.produce(events, 0, total, strconv.Itoa)

	consumertest.Eventually(t, "every event through the ordered stage", func() bool { return passed.Load() >= total })
	consumertest.Eventually(t, "every rare event through the batch stage", func() bool { return batched.Load() >= total/every })
	consumertest.Eventually(t, "both stages committed to the end", func() bool {
		return allCommitted(t, b, cfg.GroupID, events, partitions)() && allCommitted(t, b, cfg.GroupID, rare, partitions)()
	})
	flushes := func(reason string) float64 {
		return testutil.ToFloat64(e.metrics.batchFlushes.WithLabelValues("rare-batch", reason))
	}
	if flushes("size") != 0 || flushes("linger") < 1 {
		t.Fatalf("batches of a rare stage must flush on linger: size=%v linger=%v", flushes("size"), flushes("linger"))
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("F1: %d events passed, %d rare events in %d linger-flushed batches %v", passed.Load(), batched.Load(), len(batchSizes), batchSizes)
}

// TestF5SlowHandlerBoundsGoroutinesAndHeap reproduces production failure
// F5: a handler that takes 200ms meets a backlog of 100,000 messages. The
// framework must not grow goroutines or memory with the backlog: fetching
// pauses at the in-flight bound, goroutines and heap stay within what the
// configuration allows, and the lag is visible. Goroutines, heap and
// messages in flight are sampled at the first pause and then every 200ms
// for 2s while the backlog is worked off; counts and bytes are asserted,
// never times.
// (Long: one sampling loop, every bound asserted at each sample.)
func TestF5SlowHandlerBoundsGoroutinesAndHeap(t *testing.T) {
	const total, partitions, valueSize = 100_000, 4, 512
	const maxInflight, maxBytes = 200, 32 << 10 // the byte bound binds first: ~60 messages
	b := newTestBroker(t)
	topic := b.createTopic("f5", partitions)
	pad := strings.Repeat("x", valueSize)
	b.produceValues(topic, total, func(i int) (string, string) { return strconv.Itoa(i), fmt.Sprintf("%d:%s", i, pad) })

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var handled atomic.Int64
	slow := message.HandlerFunc(func(ctx context.Context, _ *message.Message) error {
		select {
		case <-time.After(200 * time.Millisecond):
			handled.Add(1)
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	// One attempt: the handler never fails, and one attempt's budget fits
	// the short stall timeout the engine validates against.
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "slow", Ordering: registry.OrderingPartition,
		Retry: registry.RetryPolicy{MaxAttempts: 1, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}}})
	cfg.MaxInflight, cfg.MaxInflightBytes = maxInflight, maxBytes
	cfg.DrainTimeout = time.Second
	cfg.HandlerTimeout, cfg.StallTimeout = time.Second, 1500*time.Millisecond
	e := b.startEngine(cfg, registry.Empty().Add("slow", slow))

	consumertest.Eventually(t, "every partition's fetching to pause", func() bool {
		for p := range partitions {
			if testutil.ToFloat64(e.metrics.fetchPaused.WithLabelValues(topic, strconv.Itoa(p))) != 1 {
				return false
			}
		}
		return true
	})
	// The engine's goroutines only (see labelEngineUnderTest), not the
	// process's: per partition the fetch loop, one worker, a deadline enforcer, a
	// context watcher and the partition reader's own goroutines; per
	// generation the committer, the heartbeat and the group loops.
	goroutineLimit := 12*partitions + 16
	perPartitionMsgs := maxBytes/(valueSize+8) + 1
	var most struct {
		goroutines int
		inflight   float64
		heapGrowth int64
	}
	sample := func(when string) {
		t.Helper()
		runtime.GC()
		var during runtime.MemStats
		runtime.ReadMemStats(&during)
		goroutines := e.goroutines()
		inflight, _ := gauge(t, e.reg, "kafka_consumer_inflight_messages", map[string]string{"topic": topic, "handler": "slow"})
		heapGrowth := int64(during.HeapAlloc) - int64(before.HeapAlloc)
		if inflight > float64(partitions*perPartitionMsgs) {
			t.Errorf("%s: %v messages in flight, bound is %d per partition", when, inflight, perPartitionMsgs)
		}
		if goroutines > goroutineLimit {
			t.Errorf("%s: the engine runs %d goroutines, bound %d", when, goroutines, goroutineLimit)
		}
		if heapGrowth > 16<<20 {
			t.Errorf("%s: heap grew by %d bytes under a backlog of %d messages", when, heapGrowth, total)
		}
		most.goroutines, most.inflight, most.heapGrowth = max(most.goroutines, goroutines), max(most.inflight, inflight), max(most.heapGrowth, heapGrowth)
	}
	sample("at the first pause")
	for p := range partitions {
		lag, ok := gauge(t, e.reg, "kafka_consumer_lag", map[string]string{"topic": topic, "partition": strconv.Itoa(p)})
		if !ok || lag < total/partitions/2 {
			t.Errorf("partition %d: lag %v (reported: %v), want the backlog visible", p, lag, ok)
		}
	}
	// Slow is not stalled: completions every 200ms keep liveness green for
	// longer than the stall timeout, while the bounds keep holding.
	handledAtPause := handled.Load()
	for i := range 10 {
		if err := e.Live(); err != nil {
			t.Fatalf("a slow but progressing consumer failed liveness: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
		sample(fmt.Sprintf("%dms into the backlog", 200*(i+1)))
	}
	if worked := handled.Load() - handledAtPause; worked < partitions {
		t.Errorf("only %d messages handled while sampling: the samples must span work on the backlog", worked)
	}
	if age, ok := gauge(t, e.reg, "kafka_consumer_oldest_inflight_age_seconds", map[string]string{"topic": topic, "handler": "slow"}); !ok || age <= 0 {
		t.Errorf("oldest in-flight age %v (reported: %v)", age, ok)
	}
	t.Logf("F5: backlog %d; over 11 samples at most %v in flight, %d engine goroutines (bound %d), heap growth %d KiB; handled %d",
		total, most.inflight, most.goroutines, goroutineLimit, most.heapGrowth>>10, handled.Load())
}

// TestLedgerKeyOrderPerKeySequenceNeverGoesBackwards: key ordering runs
// different keys in parallel while each key's messages stay in order.
func TestLedgerKeyOrderPerKeySequenceNeverGoesBackwards(t *testing.T) {
	const total, partitions, keys = 5000, 2, 100
	b := newTestBroker(t)
	topic := b.createTopic("key-order", partitions)
	// Value "key:seq", seq increasing per key in production order.
	b.produceValues(topic, total, func(i int) (string, string) {
		return "k" + strconv.Itoa(i%keys), fmt.Sprintf("k%d:%d", i%keys, i/keys)
	})
	var mu sync.Mutex
	last := map[string]int{}
	var backwards []string
	var running, maxRunning, handled atomic.Int64
	h := message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			if cur := maxRunning.Load(); n <= cur || maxRunning.CompareAndSwap(cur, n) {
				break
			}
		}
		key, seqText, _ := strings.Cut(string(m.Value), ":")
		seq, _ := strconv.Atoi(seqText)
		mu.Lock()
		if prev, ok := last[key]; ok && seq <= prev {
			backwards = append(backwards, fmt.Sprintf("%s: %d after %d", key, seq, prev))
		}
		last[key] = seq
		mu.Unlock()
		time.Sleep(time.Millisecond) // long enough for keys to overlap
		handled.Add(1)
		return nil
	})
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "keyed", Ordering: registry.OrderingKey, Workers: 16}})
	e := b.startEngine(cfg, registry.Empty().Add("keyed", h))
	consumertest.Eventually(t, "every message", func() bool { return handled.Load() >= total })
	consumertest.Eventually(t, "commit to the end", allCommitted(t, b, cfg.GroupID, topic, partitions))
	e.stop(t)
	mu.Lock()
	defer mu.Unlock()
	if len(backwards) > 0 {
		t.Fatalf("per-key order broken %d times, e.g. %v", len(backwards), backwards[:min(5, len(backwards))])
	}
	if len(last) != keys {
		t.Fatalf("saw %d keys, want %d", len(last), keys)
	}
	if maxRunning.Load() < 2 {
		t.Fatalf("at most %d handler call at a time: different keys must run concurrently", maxRunning.Load())
	}
	t.Logf("key order: %d messages, %d keys, up to %d handler calls at once", total, keys, maxRunning.Load())
}
