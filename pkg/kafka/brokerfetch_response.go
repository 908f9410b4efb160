package kafka

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// fetchedChunk is what a fetch session hands a partition from one fetch
// response: its whole record batches, or the error the Reader would have
// returned from FetchMessage.
type fetchedChunk struct {
	records   []byte
	from      int64 // the offset fetched
	highWater int64
	err       error
}

// fetchResponse is a Fetch response (versions 4 to 11) as a session needs
// it.
type fetchResponse struct {
	throttle   time.Duration
	errorCode  int16
	partitions []fetchedPartition
}

// fetchedPartition is one partition's share of a fetch response. records
// is its own allocation, holding the record batches as the broker sent
// them (nil when none).
type fetchedPartition struct {
	topic     string
	partition int32
	errorCode int16
	highWater int64
	records   []byte
}

// readFetchResponse reads a Fetch response of version from r: its header
// must carry correlationID. Topic names are those of topics (the request's),
// so none is allocated per response; a topic not asked for is an error.
// Each partition's records are read straight into their own slice.
func readFetchResponse(r io.Reader, version int16, correlationID int32, topics map[string]string) (*fetchResponse, error) {
	d := wireDecoder{r: r, remain: 4}
	d.remain = int(d.int32())
	if id := d.int32(); d.err == nil && id != correlationID {
		return nil, fmt.Errorf("fetch response: correlation id %d, want %d", id, correlationID)
	}
	res := &fetchResponse{}
	res.throttle = time.Duration(d.int32()) * time.Millisecond
	if version >= 7 {
		res.errorCode = d.int16()
		d.int32() // session id: the session fetcher sends full requests, outside any broker-side fetch session
	}
	for range d.count() {
		topic, ok := topics[string(d.short())]
		if !ok && d.err == nil {
			return nil, fmt.Errorf("fetch response: a topic that was not asked for")
		}
		for range d.count() {
			res.partitions = append(res.partitions, d.partition(topic, version))
		}
	}
	d.discard()
	if d.err != nil {
		return nil, fmt.Errorf("fetch response: %w", d.err)
	}
	return res, nil
}

// partition reads one partition of a topic's response.
func (d *wireDecoder) partition(topic string, version int16) fetchedPartition {
	p := fetchedPartition{topic: topic, partition: d.int32(), errorCode: d.int16(), highWater: d.int64()}
	d.int64() // last stable offset (v4+): the session reads uncommitted, as the Reader does
	if version >= 5 {
		d.int64() // log start offset
	}
	if n := d.count(); n > 0 {
		d.skip(16 * n) // aborted transactions: read uncommitted hands them out, as the Reader does
	}
	if version >= 11 {
		d.int32() // preferred read replica: never set, since no rack is sent
	}
	p.records = d.bytes()
	return p
}

// wireDecoder reads big-endian protocol fields from r, within remain
// bytes; the first error sticks and every read after it returns zero.
type wireDecoder struct {
	r       io.Reader
	remain  int
	err     error
	scratch [8]byte
	name    [256]byte
}

func (d *wireDecoder) fill(b []byte) []byte {
	if d.err != nil {
		return nil
	}
	if len(b) > d.remain {
		d.err = fmt.Errorf("field of %d bytes with %d left", len(b), d.remain)
		return nil
	}
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.err = err
		return nil
	}
	d.remain -= len(b)
	return b
}

func (d *wireDecoder) int16() int16 {
	if b := d.fill(d.scratch[:2]); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (d *wireDecoder) int32() int32 {
	if b := d.fill(d.scratch[:4]); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (d *wireDecoder) int64() int64 {
	if b := d.fill(d.scratch[:8]); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}

// count reads an array's length; a null array counts 0.
func (d *wireDecoder) count() int {
	n := d.int32()
	if n < 0 {
		return 0
	}
	if int(n) > d.remain {
		d.err = fmt.Errorf("array of %d with %d bytes left", n, d.remain)
		return 0
	}
	return int(n)
}

// short reads a string of at most 255 bytes into a buffer of d's (a topic
// name: Kafka allows 249), valid until the next call.
func (d *wireDecoder) short() []byte {
	n := d.int16()
	if n < 0 || int(n) > len(d.name) {
		if d.err == nil {
			d.err = fmt.Errorf("topic name of %d bytes", n)
		}
		return nil
	}
	return d.fill(d.name[:n])
}

// bytes reads nullable bytes into a slice of their own.
func (d *wireDecoder) bytes() []byte {
	n := d.int32()
	if n <= 0 || d.err != nil {
		return nil
	}
	if int(n) > d.remain {
		d.err = fmt.Errorf("records of %d bytes with %d left", n, d.remain)
		return nil
	}
	return d.fill(make([]byte, n))
}

func (d *wireDecoder) skip(n int) {
	if d.err != nil {
		return
	}
	if n > d.remain {
		d.err = fmt.Errorf("skip %d bytes with %d left", n, d.remain)
		return
	}
	if _, err := io.CopyN(io.Discard, d.r, int64(n)); err != nil {
		d.err = err
		return
	}
	d.remain -= n
}

// discard reads what is left of the response.
func (d *wireDecoder) discard() { d.skip(d.remain) }
