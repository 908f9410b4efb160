package message

import "time"

// Message is one record as consumed from a topic partition.
//
// The engine owns a Message's byte slices for the duration of one call; a
// handler that keeps Key, Value or header values beyond the call must copy
// them.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time

	// Delivery bookkeeping, kept by the framework across the attempts of
	// one delivery (read it, do not write it): how many calls this message
	// has been part of, counting the one in progress, and when it first
	// and last failed.
	Attempts     int
	FirstFailure time.Time
	LastFailure  time.Time
}

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Header returns the value of the first header named key, and whether there
// was one.
func (m *Message) Header(key string) ([]byte, bool) {
	for _, h := range m.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return nil, false
}

// Size is the number of payload bytes the message holds (key, value and
// headers): what in-flight byte limits count.
func (m *Message) Size() int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}
