package kafka

import (
	"encoding/binary"
	"fmt"

	kafkago "github.com/segmentio/kafka-go"
)

// decodeRecord reads the open batch's next record into m: Kafka's record
// format v2, a length and then attributes, time delta, offset delta, key,
// value and headers, the numbers zigzag varints. Key and value alias the
// batch's bytes; a header's key is copied (a string), its value aliases.
func (it *recordIter) decodeRecord(m *kafkago.Message) error {
	d := recordDecoder{b: it.recs}
	length := d.varint()
	if d.err != nil || length < 0 || int64(len(d.b)) < length {
		return fmt.Errorf("%w at offset %d: record length %d of %d bytes left", errCorruptBatch, it.base, length, len(d.b))
	}
	it.recs = d.b[length:]
	it.left--
	d.b = d.b[:length]
	d.skip(1) // attributes: none are defined for records
	timeDelta := d.varint()
	offsetDelta := d.varint()
	*m = kafkago.Message{Offset: it.base + offsetDelta, Time: it.recordTime(timeDelta)}
	m.Key = d.bytes()
	m.Value = d.bytes()
	if n := d.varint(); n > 0 && d.err == nil {
		if n > int64(len(d.b)) { // each header takes at least 2 bytes
			return fmt.Errorf("%w at offset %d: %d headers in %d bytes", errCorruptBatch, m.Offset, n, len(d.b))
		}
		m.Headers = make([]kafkago.Header, n)
		for i := range m.Headers {
			m.Headers[i] = kafkago.Header{Key: string(d.bytes()), Value: d.bytes()}
		}
	}
	if d.err != nil {
		return fmt.Errorf("%w at offset %d: %w", errCorruptBatch, m.Offset, d.err)
	}
	return nil
}

// recordDecoder reads a record's fields; the first error sticks and every
// read after it returns zero values.
type recordDecoder struct {
	b   []byte
	err error
}

func (d *recordDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) skip(n int) {
	if d.err == nil && len(d.b) < n {
		d.err = fmt.Errorf("record cut short")
	}
	if d.err == nil {
		d.b = d.b[n:]
	}
}

// bytes reads a length and that many bytes: nil for a length of -1 (a
// null key or value), empty but not nil for 0.
func (d *recordDecoder) bytes() []byte {
	n := d.varint()
	switch {
	case d.err != nil || n == -1:
		return nil
	case n < -1 || n > int64(len(d.b)):
		d.err = fmt.Errorf("field of %d bytes with %d left", n, len(d.b))
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}
