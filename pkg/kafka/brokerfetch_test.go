//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestFetchersStartWhereTheReaderStarts: on a partition whose records
// before offset 4 were deleted (retention), each fetcher starts at the
// first offset for kafkago.FirstOffset and for an offset before it, at
// the offset given inside the range, at the end for kafkago.LastOffset,
// and past the end waits, reporting, until the partition has grown that
// far: it never starts over.
func TestFetchersStartWhereTheReaderStarts(t *testing.T) {
	const topic = "start"
	c := fakeCluster(t, 1, topic, 1)
	cl := fakeClient(t, c)
	produceEach(t, cl, topic, 0, values(0, 10)...)
	deleteRecords(t, cl, topic, 0, 4)
	produced := 10
	forEachFetcher(t, func(t *testing.T, fetcher string) {
		rig := newFetchRig(t, fetcher, c.ListenAddrs(), nil)
		for _, tc := range []struct {
			from, want int64
		}{{kafkago.FirstOffset, 4}, {2, 4}, {7, 7}} {
			rd := rig.open(topic, 0, tc.from)
			if got := read(t, rd, 1)[0].Offset; got != tc.want {
				t.Fatalf("from %d: first message at %d, want %d", tc.from, got, tc.want)
			}
			rig.close(rd)
		}
		if r := rig.allReports(); len(r) != 0 {
			t.Fatalf("starting within or before the partition reported %q; want nothing said", r)
		}
		last := rig.open(topic, 0, kafkago.LastOffset)
		nothingWithin(t, last, 500*time.Millisecond)
		produceEach(t, cl, topic, 0, values(produced, 1)...)
		if got := read(t, last, 1)[0].Offset; got != int64(produced) {
			t.Fatalf("from the last offset: first message at %d, want %d", got, produced)
		}
		rig.close(last)
		produced++
		past := rig.open(topic, 0, int64(produced+2))
		nothingWithin(t, past, 1500*time.Millisecond)
		if len(rig.allReports()) == 0 {
			t.Errorf("waiting past the end reported nothing")
		}
		produceEach(t, cl, topic, 0, values(produced, 3)...)
		if got := read(t, past, 1)[0].Offset; got != int64(produced+2) {
			t.Fatalf("from past the end: first message at %d, want %d", got, produced+2)
		}
		produced += 3
	})
}

// holdFetches makes c hold the first Fetch of topic from offset from on
// until release is closed; later ones pass.
func holdFetches(c *kfake.Cluster, topic string, from int64, release <-chan struct{}) {
	var held atomic.Bool
	c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		for _, rt := range req.(*kmsg.FetchRequest).Topics {
			for _, rp := range rt.Partitions {
				if rt.Topic == topic && rp.FetchOffset >= from && held.CompareAndSwap(false, true) {
					c.SleepControl(func() { <-release })
				}
			}
		}
		return nil, nil, false
	})
}

// TestFetchersSkipAheadWhenTheirOffsetIsDeletedMidStream: a fetch that
// reaches the broker after the records it asks for were deleted is out of
// range; each fetcher then skips to the first offset, reporting it.
func TestFetchersSkipAheadWhenTheirOffsetIsDeletedMidStream(t *testing.T) {
	forEachFetcher(t, func(t *testing.T, fetcher string) {
		const topic = "skip"
		c := fakeCluster(t, 1, topic, 1)
		cl := fakeClient(t, c)
		produceEach(t, cl, topic, 0, values(0, 10)...)
		release := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		t.Cleanup(free)
		holdFetches(c, topic, 1, release)
		rig := newFetchRig(t, fetcher, c.ListenAddrs(), func(cfg *Config) { cfg.MaxInflightBytes = 1 }) // a batch per fetch
		rd := rig.open(topic, 0, 0)
		if got := read(t, rd, 1)[0].Offset; got != 0 {
			t.Fatalf("first message at %d, want 0", got)
		}
		deleteRecords(t, cl, topic, 0, 8)
		free()
		if got := offsets(read(t, rd, 2)); !slices.Equal(got, []int64{8, 9}) {
			t.Fatalf("after the records were deleted: offsets %v, want [8 9]", got)
		}
		// The Reader reports the skip, or, when it reconnects on the way,
		// the error that made it (it then starts at the first offset
		// without a word).
		if want := "skipping from offset 1 to 8"; len(rig.allReports()) == 0 || (fetcher == FetcherSession && !rig.reported(want)) {
			t.Fatalf("reported %q; want a report (the session fetcher's saying %q)", rig.allReports(), want)
		}
	})
}

// freezeFetches makes c hold every Fetch of topic until release is
// closed: a broker that takes requests and never answers them.
func freezeFetches(c *kfake.Cluster, topic string, release <-chan struct{}) {
	c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		for _, rt := range req.(*kmsg.FetchRequest).Topics {
			if rt.Topic == topic {
				c.SleepControl(func() { <-release })
			}
		}
		return nil, nil, false
	})
}

// TestSessionFetcherCloseReturnsAtOnceWhileTheBrokerIsFrozen: closing the
// last partition of a session whose fetch the broker holds ends the
// session at once (its connection is closed), not when the request times
// out (fetch_max_wait + 10s).
func TestSessionFetcherCloseReturnsAtOnceWhileTheBrokerIsFrozen(t *testing.T) {
	const topic = "frozen"
	c := fakeCluster(t, 1, topic, 1)
	produceEach(t, fakeClient(t, c), topic, 0, "v0")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	freezeFetches(c, topic, release)
	rig := newFetchRig(t, FetcherSession, c.ListenAddrs(), nil)
	rd := rig.e.openReader(topic, 0, func(string) {})
	if err := rd.SetOffset(0); err != nil {
		t.Fatal(err)
	}
	nothingWithin(t, rd, time.Second)
	if n := goroutinesRunning("(*brokerSession).run"); n != 1 {
		t.Fatalf("%d sessions running, want 1 (holding the frozen fetch)", n)
	}
	start := time.Now()
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Close took %s while the broker held the fetch; want it at once", took)
	}
	if n := goroutinesRunning("(*brokerSession).run") + goroutinesRunning("(*placer).run"); n != 0 {
		t.Fatalf("%d session and placer goroutines left after the last partition closed", n)
	}
}

// TestSessionFetcherReportsAFrozenBrokerAndCarriesOn: a broker that holds
// a fetch past the request timeout is given up on and reported, through
// the partition's report (its network state); once it answers again the
// partition carries on where it was.
func TestSessionFetcherReportsAFrozenBrokerAndCarriesOn(t *testing.T) {
	const topic = "thaw"
	c := fakeCluster(t, 1, topic, 1)
	cl := fakeClient(t, c)
	produceEach(t, cl, topic, 0, "v0")
	release := make(chan struct{})
	var once sync.Once
	thaw := func() { once.Do(func() { close(release) }) }
	t.Cleanup(thaw)
	rig := newFetchRig(t, FetcherSession, c.ListenAddrs(), func(cfg *Config) { cfg.FetchMaxWait = 100 * time.Millisecond })
	rig.e.sessions.cfg.requestTimeout = 500 * time.Millisecond
	rd := rig.open(topic, 0, 0)
	if got := read(t, rd, 1)[0].Offset; got != 0 {
		t.Fatalf("first message at %d", got)
	}
	freezeFetches(c, topic, release)
	produceEach(t, cl, topic, 0, "v1")
	consumertest.Eventually(t, "the frozen broker reported", func() bool { return rig.reported("i/o timeout") })
	thaw()
	if got := read(t, rd, 1)[0]; got.Offset != 1 || string(got.Value) != "v1" {
		t.Fatalf("after the broker answered again: offset %d %q, want 1 v1", got.Offset, got.Value)
	}
}

// TestSessionFetcherBoundsEachPartitionAndRequest: every fetch asks at
// most max_inflight_bytes (at most 1 MiB, as the Reader's MaxBytes) of
// each partition, and at most that times the partitions in all.
func TestSessionFetcherBoundsEachPartitionAndRequest(t *testing.T) {
	for _, tc := range []struct {
		inflight int64
		want     int32
	}{{4096, 4096}, {8 << 20, 1 << 20}} {
		const topic = "bounds"
		c := fakeCluster(t, 1, topic, 2) // each case its own: no fetch of the other's in flight
		cl := fakeClient(t, c)
		produceEach(t, cl, topic, 0, "v0")
		produceEach(t, cl, topic, 1, "v0")
		type seen struct{ request, partition int32 }
		var mu sync.Mutex
		var fetches []seen
		c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			f := req.(*kmsg.FetchRequest)
			mu.Lock()
			defer mu.Unlock()
			for _, rt := range f.Topics {
				for _, rp := range rt.Partitions {
					fetches = append(fetches, seen{f.MaxBytes, rp.PartitionMaxBytes})
				}
			}
			return nil, nil, false
		})
		rig := newFetchRig(t, FetcherSession, c.ListenAddrs(), func(cfg *Config) { cfg.MaxInflightBytes = tc.inflight })
		read(t, rig.open(topic, 0, 0), 1)
		read(t, rig.open(topic, 1, 0), 1)
		mu.Lock()
		got := slices.Clone(fetches)
		mu.Unlock()
		if len(got) == 0 {
			t.Fatal("no fetch seen")
		}
		for _, s := range got {
			if s.partition != tc.want || s.request < tc.want || s.request > 2*tc.want {
				t.Fatalf("max_inflight_bytes %d: a fetch asked %d per partition, %d in all; want %d, and at most %d", tc.inflight, s.partition, s.request, tc.want, 2*tc.want)
			}
		}
	}
}

// TestSessionFetcherFetchesAPartitionOnlyWhileItHasRoom: a partition
// whose records are not taken is not fetched again: its memory is one
// response being read and one waiting, whatever the backlog. Taking the
// waiting one lets one more fetch through.
func TestSessionFetcherFetchesAPartitionOnlyWhileItHasRoom(t *testing.T) {
	const topic = "room"
	c := fakeCluster(t, 1, topic, 1)
	produceEach(t, fakeClient(t, c), topic, 0, values(0, 20)...)
	var fetches atomic.Int32
	c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		for _, rt := range req.(*kmsg.FetchRequest).Topics {
			if rt.Topic == topic {
				fetches.Add(int32(len(rt.Partitions)))
			}
		}
		return nil, nil, false
	})
	rig := newFetchRig(t, FetcherSession, c.ListenAddrs(), func(cfg *Config) { cfg.MaxInflightBytes = 1 }) // a batch per fetch
	rd := rig.open(topic, 0, 0)
	read(t, rd, 1) // the first response taken; a second fetched and waiting
	consumertest.Eventually(t, "the second fetch", func() bool { return fetches.Load() >= 2 })
	time.Sleep(500 * time.Millisecond)
	if n := fetches.Load(); n != 2 {
		t.Fatalf("%d fetches of a partition holding an untaken response; want 2", n)
	}
	read(t, rd, 1) // takes the second
	consumertest.Eventually(t, "the third fetch", func() bool { return fetches.Load() >= 3 })
	time.Sleep(500 * time.Millisecond)
	if n := fetches.Load(); n != 3 {
		t.Fatalf("%d fetches after one more response was taken; want 3", n)
	}
}

// TestEngineFetchesThroughTheConfiguredFetcher: kafka.fetcher picks what
// each partition run reads through.
func TestEngineFetchesThroughTheConfiguredFetcher(t *testing.T) {
	for fetcher, want := range map[string]string{FetcherReader: "*kafka.Reader", FetcherSession: "*kafka.sessionReader"} {
		rig := newFetchRig(t, fetcher, []string{"127.0.0.1:1"}, nil)
		rd := rig.open("t", 0, 0)
		if got := fmt.Sprintf("%T", rd); got != want {
			t.Fatalf("kafka.fetcher %s reads through %s, want %s", fetcher, got, want)
		}
	}
}

// TestSessionFetcherFetchesADamagedBatchAgain: a batch damaged on the way
// (its CRC fails) is reported and returned by FetchMessage as an error;
// the partition then fetches it again from where it was, and carries on.
func TestSessionFetcherFetchesADamagedBatchAgain(t *testing.T) {
	const topic = "damaged"
	c := fakeCluster(t, 1, topic, 1)
	produceEach(t, fakeClient(t, c), topic, 0, "v0")
	damaged := encodeBatch(t, 2, 0, 0, rec("k", "v0"))
	damaged[len(damaged)-1] ^= 0xff
	c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		res := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.(*kmsg.FetchRequest).Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition, sp.HighWatermark, sp.RecordBatches = rp.Partition, 1, damaged
				st.Partitions = append(st.Partitions, sp)
			}
			res.Topics = append(res.Topics, st)
		}
		return res, nil, true // once: the next fetches reach the broker
	})
	rig := newFetchRig(t, FetcherSession, c.ListenAddrs(), nil)
	rd := rig.open(topic, 0, 0)
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	if _, err := rd.FetchMessage(ctx); !errors.Is(err, errCorruptBatch) {
		t.Fatalf("the damaged batch: %v, want errCorruptBatch", err)
	}
	if !rig.reported("CRC mismatch") {
		t.Fatalf("reported %q, want the CRC mismatch", rig.allReports())
	}
	if got := read(t, rd, 1)[0]; got.Offset != 0 || string(got.Value) != "v0" {
		t.Fatalf("after it: offset %d %q, want 0 v0 fetched again", got.Offset, got.Value)
	}
}
