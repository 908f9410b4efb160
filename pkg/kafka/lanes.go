package kafka

import "github.com/consumerkit/consumerkit/pkg/registry"

// lanes route one partition's messages to its workers. Partition ordering
// has one lane and one worker. Key ordering has one lane per worker and
// routes by a hash of the key, so a key always meets the same worker, in
// offset order. None ordering has one lane shared by every worker.
type lanes struct {
	queues  []chan *pooledMessage
	keyed   bool
	nworker int
}

func newLanes(sub *subscription, maxInflight int) *lanes {
	switch sub.Ordering {
	case registry.OrderingKey:
		// Queues share the in-flight bound; a full queue pauses fetching
		// just as the bound does, so they need not each hold all of it.
		per := max(4, 2*maxInflight/sub.Workers)
		l := &lanes{keyed: true, nworker: sub.Workers}
		for range sub.Workers {
			l.queues = append(l.queues, make(chan *pooledMessage, min(per, maxInflight)))
		}
		return l
	case registry.OrderingNone:
		return &lanes{queues: []chan *pooledMessage{make(chan *pooledMessage, maxInflight)}, nworker: sub.Workers}
	default:
		return &lanes{queues: []chan *pooledMessage{make(chan *pooledMessage, maxInflight)}, nworker: 1}
	}
}

func (l *lanes) workers() int { return l.nworker }

// inbox is worker i's queue.
func (l *lanes) inbox(i int) <-chan *pooledMessage {
	if l.keyed {
		return l.queues[i]
	}
	return l.queues[0]
}

// route returns the queue m goes to.
func (l *lanes) route(m *pooledMessage) chan<- *pooledMessage {
	if !l.keyed {
		return l.queues[0]
	}
	return l.queues[keyHash(m.Key)%uint32(len(l.queues))]
}

// close ends every queue; only the fetch loop, their one sender, calls it.
func (l *lanes) close() {
	for _, q := range l.queues {
		close(q)
	}
}

// keyHash is 32-bit FNV-1a: cheap, allocation-free and stable.
func keyHash(key []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range key {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}
