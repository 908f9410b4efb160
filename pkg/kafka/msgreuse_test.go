package kafka

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// seen is what a handler saw of a message: where it was, and its content.
type seen struct {
	ptr    *message.Message
	offset int64
	key    string
	value  string
}

func see(m *message.Message) seen {
	return seen{ptr: m, offset: m.Offset, key: string(m.Key), value: string(m.Value)}
}

// TestAMessageIsNotReusedWhileItsDeliveryHoldsIt: the engine reuses a
// Message only once its delivery returned. A message waiting for its
// retry keeps its content while its partition's other workers finish
// messages and the fetch loop takes recycled ones for new records: the
// retry is called with the same Message, unchanged.
func TestAMessageIsNotReusedWhileItsDeliveryHoldsIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, otherLane := keysOnLanes(t, "a", 2)
		var mu sync.Mutex
		var attempts []seen // of a@0
		handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			if string(m.Key) != "a" {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, see(m))
			if len(attempts) == 1 {
				return errBusy
			}
			return nil
		}))
		sub := registry.Subscription{Handler: "h", Ordering: registry.OrderingKey, Workers: 2,
			Retry: registry.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Second, MaxBackoff: time.Second}}
		r := runPartition(t, testConfig(nil), sub, handlers, "")
		r.feed(keyed(0, "a")...)
		synctest.Wait() // a@0 failed once and waits for its retry
		keys := make([]string, 50)
		for i := range keys {
			keys[i] = otherLane
		}
		r.feed(keyed(1, keys...)...) // handled meanwhile, in messages the pool recycles
		synctest.Wait()
		time.Sleep(2 * time.Second) // on the bubble's clock: the retry
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		want := seen{offset: 0, key: "a", value: "0"}
		if len(attempts) != 2 || attempts[0].ptr != attempts[1].ptr {
			t.Fatalf("attempts %+v: want two calls with the same Message", attempts)
		}
		for i, a := range attempts {
			if a.ptr = nil; a != want {
				t.Fatalf("attempt %d saw %+v, want %+v", i+1, a, want)
			}
		}
		if r.committable() != 51 {
			t.Fatalf("committable %d, want 51", r.committable())
		}
	})
}

// TestBatchMessagesAreNotReusedBeforeTheirBatchIsDelivered: messages a
// batch handler has not been given yet — held until the batch is due — are
// not recycled for the records fetched meanwhile.
func TestBatchMessagesAreNotReusedBeforeTheirBatchIsDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var batches [][]seen
		handlers := registry.Empty().AddBatch("b", message.BatchHandlerFunc(func(_ context.Context, msgs []*message.Message) error {
			mu.Lock()
			defer mu.Unlock()
			var b []seen
			for _, m := range msgs {
				s := see(m)
				s.ptr = nil
				b = append(b, s)
			}
			batches = append(batches, b)
			return nil
		}))
		sub := registry.Subscription{Handler: "b", Ordering: registry.OrderingPartition, Retry: fastRetry(1),
			Batch: registry.BatchConfig{Size: 4, Linger: time.Hour}}
		r := runPartition(t, testConfig(nil), sub, handlers, "")
		keys := func(n int) []string { return slices.Repeat([]string{"k"}, n) }
		r.feed(keyed(0, keys(3)...)...) // held: the batch is not due
		synctest.Wait()
		r.feed(keyed(3, keys(9)...)...) // fetched while they are held
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(batches) != 3 {
			t.Fatalf("%d batches, want 3 of 4", len(batches))
		}
		for i, b := range batches {
			for j, s := range b {
				off := int64(4*i + j)
				if want := (seen{offset: off, key: "k", value: strconv.FormatInt(off, 10)}); s != want {
					t.Fatalf("batch %d, message %d: %+v, want %+v", i, j, s, want)
				}
			}
		}
	})
}

// TestDispatchAllocatesNothingPerMessage: in steady state a message costs
// the engine no allocation from the record kafka-go hands over to its
// outcome and commit point — neither its Message nor its call's context
// (BenchmarkDispatchAndTrackPerMessage measures the same, with timings).
// Counted across every goroutine of the process between the 5,000th and
// the 25,000th message of a no-op handler in partition ordering.
func TestDispatchAllocatesNothingPerMessage(t *testing.T) {
	const from, to = 5_000, 25_000
	var stats [2]runtime.MemStats
	done := make(chan struct{})
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		switch m.Offset {
		case from:
			runtime.ReadMemStats(&stats[0])
		case to:
			runtime.ReadMemStats(&stats[1])
			close(done)
		}
		return nil
	}))
	cfg := testConfig([]registry.Subscription{{Topic: "t", Handler: "h", Ordering: registry.OrderingPartition}})
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewCluster(cfg, zap.NewNop()), handlers, m, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	reader := &memoryReader{topic: "t", end: to + 1, key: []byte("k"), value: make([]byte, 200), at: time.Now()}
	e.openReader = func(string, int, func(string)) partitionReader { return reader }
	p := newPartitionRun(&generationRun{engine: e, gen: &kafkago.Generation{ID: 1}, log: e.log}, e.subs["t"], 0, 0)
	genCtx, end := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); p.run(genCtx) }()
	<-done
	end()
	<-ran
	if n := stats[1].Mallocs - stats[0].Mallocs; n > (to-from)/100 {
		t.Fatalf("%d allocations for %d messages (%.2f each), want none in steady state", n, to-from, float64(n)/float64(to-from))
	}
}

// TestRunInMemoryKeepsEachMessagesOwnHeaders: what RunInMemory reports of
// each message is its own, headers included, although the engine reused
// the Message, and the array of its Headers, for later records.
func TestRunInMemoryKeepsEachMessagesOwnHeaders(t *testing.T) {
	msgs := make([]message.Message, 64)
	for i := range msgs {
		n := []byte(strconv.Itoa(i))
		msgs[i] = message.Message{Key: n, Value: n, Headers: []message.Header{{Key: "n", Value: n}}}
	}
	cfg := DefaultConfig()
	cfg.MaxInflight = 2 // few Messages, each reused many times
	handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return nil }))
	ds, err := RunInMemory(context.Background(), cfg, handlers, registry.Subscription{Topic: "t", Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(1)}, msgs, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		if got := fmt.Sprint(d.Message.Headers); got != fmt.Sprintf("[{n %v}]", []byte(strconv.Itoa(i))) {
			t.Fatalf("message %d reported with headers %s", i, got)
		}
	}
}

// TestAPooledMessageHoldsOnlyItsOwnRecord: a message given back keeps
// none of its record's bytes; taken again and filled, it holds the new
// record alone — no headers (nil, as an unpooled one) when the record has
// none, else exactly its own, in the array kept from before.
func TestAPooledMessageHoldsOnlyItsOwnRecord(t *testing.T) {
	var pool messagePool
	m := pool.get()
	m.fill(&kafkago.Message{Topic: "t", Offset: 1, Key: []byte("k"), Value: []byte("v"),
		Headers: []kafkago.Header{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}}})
	if got := fmt.Sprintf("%d %s %s %v", m.Offset, m.Key, m.Value, m.Headers); got != "1 k v [{a [49]} {b [50]}]" {
		t.Fatalf("filled: %s", got)
	}
	array := &m.Headers[0]
	pool.put(m)
	if m.Key != nil || m.Value != nil || m.Headers != nil || m.headers[0].Value != nil || m.headers[1].Value != nil {
		t.Fatalf("given back still holding its record's bytes: %+v", m)
	}
	again := pool.get()
	if again != m {
		t.Fatal("the message given back was not taken again")
	}
	again.fill(&kafkago.Message{Topic: "t", Offset: 2})
	if again.Headers != nil || again.Offset != 2 || again.Key != nil {
		t.Fatalf("a record without headers: %+v", again.Message)
	}
	pool.put(again)
	again = pool.get()
	again.fill(&kafkago.Message{Topic: "t", Offset: 3, Headers: []kafkago.Header{{Key: "c", Value: []byte("3")}}})
	if got := fmt.Sprint(again.Headers); got != "[{c [51]}]" || &again.Headers[0] != array {
		t.Fatalf("headers %s, in the kept array: %v", got, &again.Headers[0] == array)
	}
	if fresh := pool.get(); fresh == again {
		t.Fatal("a message in use was taken again")
	}
}

// TestACallsDurationIsObservedFromItsStartToItsEnd: the duration histogram
// gets each call's time from its start to its end — also for a message
// that was queued while the call before it ran, whose call starts at that
// call's end without reading the clock again.
func TestACallsDurationIsObservedFromItsStartToItsEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		handlers := registry.Empty().Add("h", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
			time.Sleep(time.Duration(m.Offset+1) * 500 * time.Millisecond) // on the bubble's clock
			return nil
		}))
		r := runPartition(t, testConfig(nil), registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition, Retry: fastRetry(1)}, handlers, "")
		r.feed(keyed(0, "k", "k", "k")...) // 0.5s, 1s, 1.5s
		time.Sleep(time.Minute)
		synctest.Wait()
		var got dto.Metric
		if err := r.e.metrics.handlerDuration.WithLabelValues("t", "h").(prometheus.Metric).Write(&got); err != nil {
			t.Fatal(err)
		}
		if h := got.GetHistogram(); h.GetSampleCount() != 3 || h.GetSampleSum() != 3 {
			t.Fatalf("%d calls observed, %gs in all; want 3 calls, 3s", h.GetSampleCount(), h.GetSampleSum())
		}
	})
}
