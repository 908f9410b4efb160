package kafka

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/fetch"
)

// encodeBatch is one record batch as kafka-go's protocol package writes
// it (the format a broker stores and returns), at base offset base.
func encodeBatch(t testing.TB, version int8, attrs protocol.Attributes, base int64, records ...protocol.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	rs := protocol.RecordSet{Version: version, Attributes: attrs, Records: protocol.NewRecordReader(records...)}
	if _, err := rs.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()[4:] // the record set's size
	if version == 2 {
		binary.BigEndian.PutUint64(b, uint64(base))
	}
	return b
}

// setLastOffsetDelta rewrites a v2 batch's last offset delta, as
// compaction leaves a batch whose last records it removed, and its CRC.
func setLastOffsetDelta(b []byte, delta int32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b[batchLastDeltaAt:], uint32(delta))
	binary.BigEndian.PutUint32(b[batchCRCAt:], crc32.Checksum(b[batchAttributesAt:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func rec(key, value string, headers ...protocol.Header) protocol.Record {
	r := protocol.Record{Value: protocol.NewBytes([]byte(value)), Headers: headers, Time: time.UnixMilli(1_700_000_000_000)}
	if key != "" {
		r.Key = protocol.NewBytes([]byte(key))
	}
	return r
}

// readAll hands out every record of raw's whole batches from offset from.
func readAll(t testing.TB, raw []byte, from int64) ([]kafkago.Message, error) {
	t.Helper()
	n, _, err := completeBatches(raw)
	if err != nil {
		return nil, err
	}
	it := recordIter{topic: "t", partition: 3}
	it.reset(&fetchedChunk{records: raw[:n], from: from, highWater: 99})
	var out []kafkago.Message
	for {
		var m kafkago.Message
		ok, err := it.read(&m)
		if err != nil || !ok {
			return out, err
		}
		out = append(out, m)
	}
}

func describe(msgs []kafkago.Message) string {
	var b bytes.Buffer
	for _, m := range msgs {
		fmt.Fprintf(&b, "%d:%q=%q", m.Offset, m.Key, m.Value)
		for _, h := range m.Headers {
			fmt.Fprintf(&b, "[%s=%q]", h.Key, h.Value)
		}
		b.WriteString(" ")
	}
	return b.String()
}

// TestRecordIterReadsEveryCompressionAsWritten: batches written by
// kafka-go in each compression come out record by record with their
// offsets, keys (null stays nil), values, headers, time, topic, partition
// and high-water mark; records before the offset fetched are skipped.
func TestRecordIterReadsEveryCompressionAsWritten(t *testing.T) {
	for _, attrs := range []protocol.Attributes{0, protocol.Gzip, protocol.Snappy, protocol.Lz4, protocol.Zstd} {
		t.Run(attrs.String(), func(t *testing.T) {
			raw := append(encodeBatch(t, 2, attrs, 10, rec("a", "1"), rec("", "2", protocol.Header{Key: "h", Value: []byte("x")})),
				encodeBatch(t, 2, attrs, 12, rec("c", "3"))...)
			got, err := readAll(t, raw, 11)
			if err != nil {
				t.Fatal(err)
			}
			if want := `11:""="2"[h="x"] 12:"c"="3" `; describe(got) != want {
				t.Fatalf("read %s, want %s", describe(got), want)
			}
			m := got[0]
			if m.Key != nil || m.Topic != "t" || m.Partition != 3 || m.HighWaterMark != 99 || !m.Time.Equal(time.UnixMilli(1_700_000_000_000)) {
				t.Fatalf("message %+v: want a nil key, topic t, partition 3, high water 99, the record's time", m)
			}
		})
	}
}

// TestCompleteBatchesEndsAtEachBatchsLastOffset: the next fetch starts
// after the last whole batch's last offset as its header says — past
// records compaction removed, and past a control batch — and a batch the
// response cut short is left for the next fetch.
func TestCompleteBatchesEndsAtEachBatchsLastOffset(t *testing.T) {
	compacted := setLastOffsetDelta(encodeBatch(t, 2, 0, 20, rec("a", "1"), rec("b", "2")), 7) // offsets 20..27, 22..27 compacted away
	control := encodeBatch(t, 2, protocol.Control|protocol.Transactional, 28, protocol.Record{Key: protocol.NewBytes([]byte{0, 0, 0, 1}), Value: protocol.NewBytes([]byte{0, 0, 0, 0, 0, 0})})
	next := encodeBatch(t, 2, 0, 29, rec("c", "3"))
	raw := append(append(append([]byte{}, compacted...), control...), next[:len(next)-3]...)
	n, end, err := completeBatches(raw)
	if err != nil || n != len(compacted)+len(control) || end != 29 {
		t.Fatalf("completeBatches = %d, %d, %v; want %d, 29, nil", n, end, err, len(compacted)+len(control))
	}
	got, err := readAll(t, raw, 20)
	if err != nil || describe(got) != `20:"a"="1" 21:"b"="2" ` {
		t.Fatalf("read %s, %v: want the two records, no control record", describe(got), err)
	}
	if n, end, err := completeBatches(compacted); n != len(compacted) || end != 28 || err != nil {
		t.Fatalf("a compacted batch alone: %d, %d, %v; want %d, 28 (past its last offset), nil", n, end, err, len(compacted))
	}
	if n, end, err := completeBatches(next[:len(next)-1]); n != 0 || end != -1 || err != nil {
		t.Fatalf("a batch cut short: %d, %d, %v; want 0, -1, nil", n, end, err)
	}
}

// TestRecordIterReadsLegacyMessages: v1 messages, plain and compressed,
// are read through kafka-go's protocol package.
func TestRecordIterReadsLegacyMessages(t *testing.T) {
	for _, attrs := range []protocol.Attributes{0, protocol.Gzip} {
		raw := encodeBatch(t, 1, attrs, 0, rec("a", "1"), rec("b", "2"))
		n, end, err := completeBatches(raw)
		if err != nil || n != len(raw) || end < 1 {
			t.Fatalf("%s: completeBatches = %d, %d, %v", attrs, n, end, err)
		}
		got, err := readAll(t, raw, 0)
		if err != nil || describe(got) != `0:"a"="1" 1:"b"="2" ` {
			t.Fatalf("%s: read %s, %v", attrs, describe(got), err)
		}
	}
}

// TestRecordIterRefusesADamagedBatch: a flipped byte fails the CRC, and
// the error says which offset to fetch again.
func TestRecordIterRefusesADamagedBatch(t *testing.T) {
	raw := encodeBatch(t, 2, 0, 5, rec("a", "1"), rec("b", "2"))
	raw[len(raw)-2] ^= 0xff
	_, err := readAll(t, raw, 5)
	if !errors.Is(err, errCorruptBatch) {
		t.Fatalf("read a damaged batch: %v; want errCorruptBatch", err)
	}
}

// TestReadFetchResponseReadsEveryVersion: a Fetch response as kafka-go's
// protocol package writes it, in each version the session fetcher speaks,
// gives each partition its error, high-water mark and record bytes.
func TestReadFetchResponseReadsEveryVersion(t *testing.T) {
	for version := int16(4); version <= 11; version++ {
		res := &fetch.Response{ThrottleTimeMs: 5, Topics: []fetch.ResponseTopic{{Topic: "orders", Partitions: []fetch.ResponsePartition{
			{Partition: 0, HighWatermark: 8, RecordSet: protocol.RecordSet{Version: 2, Records: protocol.NewRecordReader(rec("k", "v"))}},
			{Partition: 1, ErrorCode: int16(kafkago.NotLeaderForPartition), HighWatermark: -1,
				AbortedTransactions: []fetch.ResponseTransaction{{ProducerID: 1, FirstOffset: 2}},
				RecordSet:           protocol.RecordSet{Version: 2, Records: protocol.NewRecordReader(rec("k2", "v2"))}}, // kafka-go writes no empty record set
		}}}}
		var buf bytes.Buffer
		if err := protocol.WriteResponse(&buf, version, 42, res); err != nil {
			t.Fatal(err)
		}
		got, err := readFetchResponse(&buf, version, 42, map[string]string{"orders": "orders"})
		if err != nil {
			t.Fatalf("v%d: %v", version, err)
		}
		if len(got.partitions) != 2 || got.throttle != 5*time.Millisecond {
			t.Fatalf("v%d: %+v", version, got)
		}
		p0, p1 := got.partitions[0], got.partitions[1]
		msgs, err := readAll(t, p0.records, 0)
		if p0.topic != "orders" || p0.highWater != 8 || err != nil || describe(msgs) != `0:"k"="v" ` ||
			p1.partition != 1 || p1.errorCode != int16(kafkago.NotLeaderForPartition) || len(p1.records) == 0 || buf.Len() != 0 {
			t.Fatalf("v%d: partitions %+v %+v, records %s %v, %d bytes left", version, p0, p1, describe(msgs), err, buf.Len())
		}
		if _, err := readFetchResponse(bytes.NewReader(buf.Bytes()), version, 43, nil); err == nil {
			t.Fatalf("v%d: an empty stream read as a response", version)
		}
	}
}

// FuzzRecordIter: no input makes the iterator or the batch scanner panic
// or hand out a record outside the bytes it was given.
func FuzzRecordIter(f *testing.F) {
	f.Add(encodeBatch(f, 2, 0, 1, rec("a", "1")), int64(0))
	f.Add(encodeBatch(f, 2, protocol.Gzip, 3, rec("a", "1"), rec("b", "2")), int64(4))
	f.Add(encodeBatch(f, 1, 0, 0, rec("a", "1")), int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, from int64) {
		n, _, err := completeBatches(raw)
		if err != nil {
			return
		}
		if n > len(raw) {
			t.Fatalf("completeBatches claims %d of %d bytes", n, len(raw))
		}
		_, _ = readAll(t, raw, from)
	})
}
