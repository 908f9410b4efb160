package kafka

import (
	"sync/atomic"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// pooledMessage is a Message of a partition run, with what recycles it.
type pooledMessage struct {
	message.Message
	// headers keeps the backing array of Headers between messages;
	// Headers is nil when a message has none, as before pooling.
	headers []message.Header
	next    *pooledMessage // in the pool's stack
}

// messagePool recycles a partition run's Messages, so that a message
// costs no allocation: the fetch loop takes one for each record and the
// worker that took it to its outcome puts it back once its delivery
// returned — every call with it has returned (a zombie's message is put
// back only when the zombie returns), its outcome is recorded or it was
// released, and its letter, if any, is written. Handlers may therefore use
// a *Message only until their call returns (message.Handler's contract).
//
// The fetch loop alone takes (get); workers put back concurrently onto a
// lock-free stack, which get empties whole when its own list runs out:
// with a single taker there is no ABA problem. The pool holds at most as
// many messages as the partition once had in flight (max_inflight), each
// cleared when put back so that it keeps no record's bytes alive, and is
// dropped with the run.
type messagePool struct {
	returned atomic.Pointer[pooledMessage] // put back by workers
	free     *pooledMessage                // the fetch loop's own
}

// get returns a message for the fetch loop to fill: a recycled one, or a
// new one when none has come back.
func (p *messagePool) get() *pooledMessage {
	if p.free == nil {
		p.free = p.returned.Swap(nil)
	}
	m := p.free
	if m == nil {
		return &pooledMessage{}
	}
	p.free, m.next = m.next, nil
	return m
}

// put gives m back once no one uses it. Any goroutine may call it.
func (p *messagePool) put(m *pooledMessage) {
	// What could keep a record's bytes alive; fill writes the rest.
	clear(m.headers)
	m.Key, m.Value, m.Headers = nil, nil, nil
	for {
		head := p.returned.Load()
		m.next = head
		if p.returned.CompareAndSwap(head, m) {
			return
		}
	}
}

// fill makes m the record km, reusing m's header array.
func (m *pooledMessage) fill(km *kafkago.Message) {
	var headers []message.Header
	if len(km.Headers) > 0 {
		headers = m.headers[:0]
		for _, h := range km.Headers {
			headers = append(headers, message.Header{Key: h.Key, Value: h.Value})
		}
		m.headers = headers
	}
	m.Message = message.Message{
		Topic: km.Topic, Partition: km.Partition, Offset: km.Offset,
		Key: km.Key, Value: km.Value, Headers: headers, Time: km.Time,
	}
}
