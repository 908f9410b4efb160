package kafka

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// BenchmarkDispatchAndTrackPerMessage measures the engine's own work per
// message in partition ordering with a no-op handler: from the
// kafkago.Message the reader hands over to the outcome recorded and the
// commit point advanced — the Message built, admitted to the offset
// window, routed and handed to the partition's worker, called through the
// chain (Recover) under its deadline, the outcome counted, the window
// moved. The reader serves records from memory.
//
// In the same run, on the same reader, a peer loop does only the
// irreducible work: fetch, call the handler, store the next offset. It
// reports, besides ns/op and allocs/op of the engine's path:
//
//	peer-ns/op       the peer's wall time per message
//	own-ns/op        ns/op − peer-ns/op: the engine's own wall time
//	cpu-ns/op        the process's CPU time per message on the engine's
//	                 path (every goroutine, GC included: the engine's
//	                 fetch loop and worker run on two cores at once)
//	own-cpu-ns/op    cpu-ns/op − the peer's: the engine's own CPU per message
//	x-peer           ns/op ÷ peer-ns/op
//
// allocs/op counts the engine's path only: it must be 0 in steady state.
func BenchmarkDispatchAndTrackPerMessage(b *testing.B) {
	n := int64(b.N)
	value, at := make([]byte, 200), time.Now()
	engineReader := &memoryReader{topic: "bench", end: n, key: []byte("k"), value: value, at: at}
	run := newPipelineBench(b, registry.Subscription{Ordering: registry.OrderingPartition}, engineReader, n)

	b.ReportAllocs()
	cpu0 := processCPU(b)
	b.ResetTimer()
	start := time.Now()
	run() // stops the timer once the last outcome is recorded
	wall := time.Since(start)
	cpu := processCPU(b) - cpu0

	peerReader := &memoryReader{topic: "bench", end: n, key: []byte("k"), value: value, at: at}
	peerWall, peerCPU := peerLoop(b, peerReader, n)

	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	b.ReportMetric(per(peerWall), "peer-ns/op")
	b.ReportMetric(per(wall)-per(peerWall), "own-ns/op")
	b.ReportMetric(per(cpu), "cpu-ns/op")
	b.ReportMetric(per(cpu)-per(peerCPU), "own-cpu-ns/op")
	b.ReportMetric(per(wall)/per(peerWall), "x-peer")
}

// peerLoop is the least a consumer does per message on reader: fetch it,
// call a handler that counts (as the engine's benchmark handler does), and
// store the next offset to commit. It returns its wall and process CPU
// time for n messages.
func peerLoop(b *testing.B, reader partitionReader, n int64) (wall, cpu time.Duration) {
	var handled, committed atomic.Int64
	last := make(chan struct{})
	handler := func(context.Context, *kafkago.Message) error {
		if handled.Add(1) == n {
			close(last)
		}
		return nil
	}
	ctx := context.Background()
	cpu0, start := processCPU(b), time.Now()
	for range n {
		m, err := reader.FetchMessage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := handler(ctx, &m); err != nil {
			b.Fatal(err)
		}
		committed.Store(m.Offset + 1)
	}
	<-last
	wall, cpu = time.Since(start), processCPU(b)-cpu0
	if committed.Load() != n {
		b.Fatalf("peer committed up to %d of %d", committed.Load(), n)
	}
	return wall, cpu
}
