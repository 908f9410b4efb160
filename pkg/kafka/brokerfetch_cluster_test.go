//go:build !brokerfree

package kafka

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestFetchersFollowTheLeaderWhenItMoves: on three brokers, every
// partition's leader moves to another broker mid-stream; each fetcher
// finds the new leaders (the session fetcher moves each partition to its
// new leader's session) and every partition goes on from where it was,
// nothing skipped, nothing twice. The session fetcher never runs more
// sessions than there are brokers.
func TestFetchersFollowTheLeaderWhenItMoves(t *testing.T) {
	const partitions, per = 6, 20
	forEachFetcher(t, func(t *testing.T, fetcher string) {
		const topic = "moves"
		c := fakeCluster(t, 3, topic, partitions)
		cl := fakeClient(t, c)
		rig := newFetchRig(t, fetcher, c.ListenAddrs(), nil)
		readers := make([]partitionReader, partitions)
		for p := range readers {
			produceEach(t, cl, topic, int32(p), values(0, per)...)
			readers[p] = rig.open(topic, p, kafkago.FirstOffset)
		}
		for p, rd := range readers {
			if got := offsets(read(t, rd, per/2)); got[0] != 0 || got[len(got)-1] != per/2-1 {
				t.Fatalf("partition %d before the move: offsets %v", p, got)
			}
		}
		assertSessions(t, fetcher, 3)
		for p := range readers {
			leader := c.LeaderFor(topic, int32(p))
			if err := c.MoveTopicPartition(topic, int32(p), (leader+1)%3); err != nil {
				t.Fatal(err)
			}
			produceEach(t, cl, topic, int32(p), values(per, per)...)
		}
		for p, rd := range readers {
			got := read(t, rd, per+per/2)
			for i, m := range got {
				if want := int64(per/2 + i); m.Offset != want || string(m.Value) != fmt.Sprintf("v%d", want) {
					t.Fatalf("partition %d after the move: message %d is offset %d %q, want %d", p, i, m.Offset, m.Value, want)
				}
			}
		}
		assertSessions(t, fetcher, 3)
	})
}

// assertSessions fails unless the session fetcher runs at most brokers
// sessions (no goroutine per partition); the Reader runs none.
func assertSessions(t *testing.T, fetcher string, brokers int) {
	t.Helper()
	n := goroutinesRunning("(*brokerSession).run")
	if fetcher == FetcherReader && n != 0 || fetcher == FetcherSession && (n < 1 || n > brokers) {
		t.Fatalf("%s: %d sessions running on %d brokers", fetcher, n, brokers)
	}
}

// TestSessionFetcherRunsOneSessionPerBroker: 24 partitions on three
// brokers are fetched by one session (goroutine and connection) per
// broker leading any of them, and one placer; once they are closed,
// nothing of the fetcher runs.
func TestSessionFetcherRunsOneSessionPerBroker(t *testing.T) {
	const topic, partitions = "per-broker", 24
	c := fakeCluster(t, 3, topic, partitions)
	cl := fakeClient(t, c)
	leaders := map[int32]bool{}
	for p := range partitions {
		produceEach(t, cl, topic, int32(p), "v0")
		leaders[c.LeaderFor(topic, int32(p))] = true
	}
	cl.Close() // its connections are not the fetcher's
	rig := newFetchRig(t, FetcherSession, c.ListenAddrs(), nil)
	var readers []partitionReader
	for p := range partitions {
		readers = append(readers, rig.open(topic, p, 0))
	}
	for _, rd := range readers {
		read(t, rd, 1)
	}
	if n := goroutinesRunning("(*brokerSession).run"); n != len(leaders) {
		t.Fatalf("%d sessions for %d partitions led by %d brokers; want one per broker", n, partitions, len(leaders))
	}
	// The placer's connection lasts one round of lookups; a session's as
	// long as the session.
	consumertest.Eventually(t, "one connection per session", func() bool { return brokerConnections(t, c.ListenAddrs()) == len(leaders) })
	if n := goroutinesRunning("(*placer).run"); n != 1 {
		t.Fatalf("%d placers, want 1", n)
	}
	rig.e.sessions.mu.Lock()
	open := rig.e.sessions.open
	rig.e.sessions.mu.Unlock()
	if open != partitions {
		t.Fatalf("%d partitions open, want %d", open, partitions)
	}
	for _, rd := range readers {
		rig.close(rd)
	}
	if n := goroutinesRunning("(*brokerSession).run") + goroutinesRunning("(*placer).run"); n != 0 {
		t.Fatalf("%d session and placer goroutines after every partition closed", n)
	}
	if n := brokerConnections(t, c.ListenAddrs()); n != 0 {
		t.Fatalf("%d connections to the brokers after every partition closed", n)
	}
}

// TestFetchersOnATransactionalTopic: a committed transaction, an aborted
// one and a plain record. Both fetchers read uncommitted, so the aborted
// records are handed out too. kafka-go's Reader also hands out the two
// transaction markers (control records) as messages (kafka-go issues 261,
// 1446); the session fetcher passes over them, as the protocol asks of
// clients and every other client does.
func TestFetchersOnATransactionalTopic(t *testing.T) {
	const topic = "txn"
	c := fakeCluster(t, 1, topic, 1)
	txn := fakeClient(t, c, kgo.TransactionalID("fetch-test"))
	for _, end := range []kgo.TransactionEndTry{kgo.TryCommit, kgo.TryAbort} {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"a", "b"} {
			if err := txn.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Value: []byte(fmt.Sprint(end, v))}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.EndTransaction(context.Background(), end); err != nil {
			t.Fatal(err)
		}
	}
	produceEach(t, fakeClient(t, c), topic, 0, "plain")
	want := map[string][]int64{FetcherReader: {0, 1, 2, 3, 4, 5, 6}, FetcherSession: {0, 1, 3, 4, 6}}
	forEachFetcher(t, func(t *testing.T, fetcher string) {
		rig := newFetchRig(t, fetcher, c.ListenAddrs(), nil)
		rd := rig.open(topic, 0, 0)
		got := offsets(read(t, rd, len(want[fetcher])))
		if !slices.Equal(got, want[fetcher]) {
			t.Fatalf("offsets %v, want %v", got, want[fetcher])
		}
		nothingWithin(t, rd, 300*time.Millisecond)
	})
}

// TestFetchersReadCompressedBatches: batches in each compression, with
// headers and a null key, come out of both fetchers the same.
func TestFetchersReadCompressedBatches(t *testing.T) {
	const topic = "compressed"
	c := fakeCluster(t, 1, topic, 1)
	codecs := []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()}
	var records []*kgo.Record
	for i, codec := range codecs {
		cl := fakeClient(t, c, kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(0))
		batch := make([]*kgo.Record, 0, 3)
		for j := range 3 {
			r := &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "codec%d-%d", i, j),
				Headers: []kgo.RecordHeader{{Key: "n", Value: fmt.Appendf(nil, "%d", j)}}}
			if j > 0 {
				r.Key = []byte("k")
			}
			batch = append(batch, r)
		}
		if err := cl.ProduceSync(context.Background(), batch...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		records = append(records, batch...)
	}
	got := map[string]string{}
	forEachFetcher(t, func(t *testing.T, fetcher string) {
		rig := newFetchRig(t, fetcher, c.ListenAddrs(), nil)
		msgs := read(t, rig.open(topic, 0, 0), len(records))
		got[fetcher] = describe(msgs)
		for i, m := range msgs {
			if string(m.Value) != string(records[i].Value) || (m.Key == nil) != (records[i].Key == nil) || len(m.Headers) != 1 {
				t.Fatalf("message %d: %s", i, describe(msgs[i:i+1]))
			}
		}
	})
	if got[FetcherReader] != got[FetcherSession] {
		t.Fatalf("the fetchers differ:\nreader:  %s\nsession: %s", got[FetcherReader], got[FetcherSession])
	}
}
