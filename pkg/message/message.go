package message

import "time"

// Message is one record as consumed from a topic partition.
//
// Ownership: a *Message given to a handler (or a middleware) is valid
// until that call returns. The engine reuses the Message, and the array
// behind its Headers, for a later record of the partition once every call
// with it has returned; a retry of the message is called with the same
// Message. A handler that keeps anything beyond its call copies it: the
// Message by value (kept := *msg) with its Headers (slices.Clone), and Key,
// Value and header values (bytes.Clone), which belong to the client that
// fetched them. A handler must not change Key, Value or Headers: a
// message's retry and dead letters are built from them. What it writes
// into Attempts, FirstFailure and LastFailure is not read back.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time

	// The delivery so far, for the handler to read: how many calls this
	// message has been part of, counting the one in progress, and when
	// its earlier calls first and last failed (zero before any failed).
	// They are copies: the engine keeps its own record of each delivery
	// and writes these from it before every call, so a handler that
	// changes them changes nothing, neither how often it is called nor
	// what the message's dead letter says. A handler's own test may set
	// them to call it as on a later attempt.
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
