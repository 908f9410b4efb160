package kafka

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/protocol"
)

// The record batch layout (Kafka's message format v2): the offsets of the
// header fields a fetch session reads, and the header's length.
const (
	batchLengthAt     = 8  // int32: bytes after this field
	batchMagicAt      = 16 // int8, at the same place in the v0 and v1 message formats
	batchCRCAt        = 17 // uint32 CRC-32C of everything from the attributes on
	batchAttributesAt = 21 // int16
	batchLastDeltaAt  = 23 // int32: last offset - base offset
	batchBaseTimeAt   = 27 // int64
	batchMaxTimeAt    = 35 // int64
	batchCountAt      = 57 // int32
	batchHeaderLen    = 61
	batchLogOverhead  = 12 // base offset and length, before what the length counts

	attrCompression = 0x07
	attrAppendTime  = 0x08
	attrControl     = 0x20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorruptBatch is wrapped by every error about a record batch that
// cannot be read: fetching it again may help (the bytes were damaged on the
// way), the Reader would retry too.
var errCorruptBatch = errors.New("corrupt record batch")

// completeBatches returns how many leading bytes of raw (one partition's
// records as a fetch response holds them) are whole batches, and the
// offset after the last of them: where the next fetch starts. It is -1
// when raw holds no whole batch: a broker ends a response within its size
// bounds, so the last batch may be cut short. The end comes from each
// batch's header, not from its last record, so a batch whose last records
// were compacted away, or one left empty, or a control batch, is passed
// over as the Reader passes over it.
func completeBatches(raw []byte) (n int, next int64, err error) {
	next = -1
	for rest := raw; len(rest) > batchMagicAt; {
		length := int32(binary.BigEndian.Uint32(rest[batchLengthAt:]))
		total := batchLogOverhead + int(length)
		magic := rest[batchMagicAt]
		if length < 0 || total <= batchMagicAt || magic > 2 || (magic == 2 && total < batchHeaderLen) {
			return n, next, fmt.Errorf("%w: length %d at offset %d", errCorruptBatch, length, int64(binary.BigEndian.Uint64(rest)))
		}
		if total > len(rest) {
			break // cut short by the response's size bound
		}
		end := int64(binary.BigEndian.Uint64(rest))
		if magic == 2 {
			end += int64(int32(binary.BigEndian.Uint32(rest[batchLastDeltaAt:])))
		}
		n, next, rest = n+total, end+1, rest[total:]
	}
	return n, next, nil
}

// recordIter hands out, one by one, the records of the batches a fetch
// session handed to a partition. It is used by the partition's own
// goroutine only. Key, value and header values alias the fetched (or
// decompressed) bytes, which are never reused: a message's bytes stay
// valid for as long as anyone holds it.
type recordIter struct {
	topic     string
	partition int
	highWater int64
	// from is the offset fetched: a batch may start before it, and the
	// records before it are not handed out.
	from int64
	// rest are the batches not yet opened.
	rest []byte
	// The open v2 batch: its records not yet read, how many, and what
	// their offsets and times are relative to.
	recs       []byte
	left       int32
	base       int64
	baseTime   int64
	appendTime int64 // the batch's time for every record when the broker set it (log append time), else -1
	// legacy holds the records of an open v0 or v1 batch, decoded by
	// kafka-go's protocol package.
	legacy []kafkago.Message
	// next is the offset after the last record handed out, or from.
	next int64
}

// reset makes the iterator hand out c's records.
func (it *recordIter) reset(c *fetchedChunk) {
	*it = recordIter{topic: it.topic, partition: it.partition, highWater: c.highWater, from: c.from, rest: c.records, next: c.from}
}

// position is the offset of the next record to hand out: where to fetch
// again when the rest cannot be read.
func (it *recordIter) position() int64 { return it.next }

// read sets m to the next record and reports whether there was one; an
// error means the rest of the batches cannot be read (the iterator is then
// empty).
func (it *recordIter) read(m *kafkago.Message) (bool, error) {
	for {
		switch {
		case len(it.legacy) > 0:
			*m = it.legacy[0]
			it.legacy = it.legacy[1:]
		case it.left > 0:
			if err := it.decodeRecord(m); err != nil {
				it.clear()
				return false, err
			}
		case len(it.rest) > 0:
			if err := it.open(); err != nil {
				it.clear()
				return false, err
			}
			continue
		default:
			return false, nil
		}
		if m.Offset < it.from {
			continue
		}
		m.Topic, m.Partition, m.HighWaterMark = it.topic, it.partition, it.highWater
		it.next = m.Offset + 1
		return true, nil
	}
}

func (it *recordIter) clear() { it.rest, it.recs, it.left, it.legacy = nil, nil, 0, nil }

// open starts the next batch of rest: checks it, decompresses its records,
// and passes over it when it is a control batch (a transaction marker,
// which is no message).
func (it *recordIter) open() error {
	b := it.rest
	total := batchLogOverhead + int(int32(binary.BigEndian.Uint32(b[batchLengthAt:])))
	batch := b[:total]
	it.rest = b[total:]
	base := int64(binary.BigEndian.Uint64(batch))
	if batch[batchMagicAt] != 2 {
		msgs, err := decodeLegacy(batch)
		if err != nil {
			return fmt.Errorf("%w at offset %d: %w", errCorruptBatch, base, err)
		}
		it.legacy = msgs
		return nil
	}
	if crc := binary.BigEndian.Uint32(batch[batchCRCAt:]); crc32.Checksum(batch[batchAttributesAt:], castagnoli) != crc {
		return fmt.Errorf("%w at offset %d: CRC mismatch", errCorruptBatch, base)
	}
	attrs := binary.BigEndian.Uint16(batch[batchAttributesAt:])
	if attrs&attrControl != 0 {
		return nil
	}
	recs := batch[batchHeaderLen:]
	if codec := compress.Compression(attrs & attrCompression); codec != compress.None {
		var err error
		if recs, err = decompress(codec, recs); err != nil {
			return fmt.Errorf("%w at offset %d: %w", errCorruptBatch, base, err)
		}
	}
	it.recs, it.base = recs, base
	it.left = int32(binary.BigEndian.Uint32(batch[batchCountAt:]))
	it.baseTime = int64(binary.BigEndian.Uint64(batch[batchBaseTimeAt:]))
	it.appendTime = -1
	if attrs&attrAppendTime != 0 {
		it.appendTime = int64(binary.BigEndian.Uint64(batch[batchMaxTimeAt:]))
	}
	return nil
}

// decompress returns the records of a compressed batch.
func decompress(codec compress.Compression, src []byte) ([]byte, error) {
	c := codec.Codec()
	if c == nil {
		return nil, fmt.Errorf("unsupported compression %d", codec)
	}
	r := c.NewReader(bytes.NewReader(src))
	defer r.Close()
	out := bytes.NewBuffer(make([]byte, 0, 4*len(src)))
	if _, err := out.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("%s: %w", codec, err)
	}
	return out.Bytes(), nil
}

// decodeLegacy reads one v0 or v1 message (a compressed one holds several)
// with kafka-go's protocol package.
func decodeLegacy(batch []byte) ([]kafkago.Message, error) {
	framed := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(batch)), uint32(len(batch)))
	var rs protocol.RecordSet
	if _, err := rs.ReadFrom(bytes.NewReader(append(framed, batch...))); err != nil {
		return nil, err
	}
	var msgs []kafkago.Message
	for rs.Records != nil {
		r, err := rs.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		m := kafkago.Message{Offset: r.Offset, Time: r.Time}
		if m.Key, err = readBytes(r.Key); err == nil {
			m.Value, err = readBytes(r.Value)
		}
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// readBytes copies b out (nil stays nil).
func readBytes(b protocol.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	return protocol.ReadAll(b)
}

// recordTime is a record's time: the batch's when the broker set it.
func (it *recordIter) recordTime(delta int64) time.Time {
	if it.appendTime >= 0 {
		return time.UnixMilli(it.appendTime)
	}
	return time.UnixMilli(it.baseTime + delta)
}
