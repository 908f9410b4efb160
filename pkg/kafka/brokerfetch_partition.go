package kafka

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// sessionReader is one partition fetched by the session fetcher: the
// partitionReader a partition run uses under kafka.fetcher: session. Its
// broker's session hands it, into slot, all its records from one fetch
// response at a time; FetchMessage then hands them out one by one with no
// synchronisation, and takes the next handoff when they run out.
type sessionReader struct {
	f         *brokerFetcher
	topic     string
	partition int32
	// report logs a line and reports it as the partition's trouble
	// reaching the brokers, as the Reader's ErrorLogger does.
	report func(line string)
	// slot holds at most one handoff; only the session owning the
	// partition fills it, and only after a request sent while it was
	// empty, so a send never blocks.
	slot chan *fetchedChunk
	// lastTake is when FetchMessage last took a handoff (unix ns): the
	// session waits less for data while the partition is being consumed.
	lastTake atomic.Int64
	// ownerHint is the owning session, to wake after a take.
	ownerHint atomic.Pointer[brokerSession]

	// Of the fetching goroutine (FetchMessage, SetOffset) only.
	it       recordIter
	fetching bool

	// Guarded by f.mu.
	started, closed bool
	owner           *brokerSession
	epoch           uint64
	// next is where the partition is fetched next (kafkago.FirstOffset
	// or LastOffset until its session resolved it).
	next int64
	// needStart: the owning session resolves next (first or last offset,
	// or the first when next is before it) before fetching, as the
	// Reader does whenever it connects. checkRange: the broker said next
	// is out of range; the session finds out which way.
	needStart, checkRange bool
	// attempt counts failures since the partition last fetched; retryAt
	// is when it may be tried again.
	attempt int
	retryAt time.Time
}

var _ partitionReader = (*sessionReader)(nil)

// openSessionReader is the engine's openReader under kafka.fetcher:
// session. Nothing is fetched, and nothing started, until the first
// FetchMessage; it starts at kafkago.FirstOffset unless SetOffset says
// otherwise.
func (e *Engine) openSessionReader(topic string, partition int, report func(line string)) partitionReader {
	logf := kafkaLogger(e.log.With(zap.String("topic", topic), zap.Int("partition", partition)), report)
	return &sessionReader{
		f: e.sessions, topic: topic, partition: int32(partition),
		report: func(line string) { logf("%s", line) },
		slot:   make(chan *fetchedChunk, 1),
		it:     recordIter{topic: topic, partition: partition},
		next:   kafkago.FirstOffset,
	}
}

// SetOffset sets where fetching starts; once fetching, it moves there,
// dropping what was fetched and not yet handed out. Call it from the
// goroutine that calls FetchMessage.
func (r *sessionReader) SetOffset(offset int64) error {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.closed {
		return io.ErrClosedPipe
	}
	r.it.reset(&fetchedChunk{from: offset, highWater: r.it.highWater})
	if !r.started {
		r.next = offset
		return nil
	}
	r.repositionLocked(offset)
	return nil
}

// repositionLocked makes the partition fetch from offset next, through
// the placer, dropping its handoff. f.mu is held; a session left empty
// ends on its own (it finds itself without partitions).
func (r *sessionReader) repositionLocked(offset int64) {
	f := r.f
	f.unplaceLocked(r)
	select {
	case <-r.slot:
	default:
	}
	r.next, r.attempt, r.retryAt = offset, 0, time.Time{}
	if f.placer != nil {
		f.placer.queueLocked(r)
	}
}

// FetchMessage returns the partition's next record, waiting for ctx at
// most. The first call starts fetching. A record batch that cannot be
// read is reported and returned as an error, and fetched again.
func (r *sessionReader) FetchMessage(ctx context.Context) (kafkago.Message, error) {
	if !r.fetching {
		if err := r.start(); err != nil {
			return kafkago.Message{}, err
		}
	}
	var m kafkago.Message
	for {
		ok, err := r.it.read(&m)
		if ok {
			return m, nil
		}
		if err != nil {
			return kafkago.Message{}, r.unreadable(err)
		}
		select {
		case c := <-r.slot:
			r.lastTake.Store(time.Now().UnixNano())
			if s := r.ownerHint.Load(); s != nil {
				s.poke()
			}
			if c.err != nil {
				return kafkago.Message{}, c.err
			}
			r.it.reset(c)
		case <-ctx.Done():
			return kafkago.Message{}, ctx.Err()
		}
	}
}

// start registers the partition with the fetcher.
func (r *sessionReader) start() error {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.closed {
		return io.ErrClosedPipe
	}
	r.fetching = true
	f.startLocked(r)
	return nil
}

// unreadable reports err, about the records from the iterator's position
// on, and has them fetched again.
func (r *sessionReader) unreadable(err error) error {
	at := r.it.position()
	err = fmt.Errorf("partition %d of %s at offset %d: %w", r.partition, r.topic, at, err)
	r.report(fmt.Sprintf("the session fetcher cannot read %v; fetching it again", err))
	r.f.mu.Lock()
	if !r.closed {
		r.repositionLocked(at)
	}
	r.f.mu.Unlock()
	return err
}

// Close stops fetching the partition. It returns once the session it
// left, if that has nothing left to fetch, has stopped (its connection
// closed, so at once).
func (r *sessionReader) Close() error {
	r.f.close(r)
	return nil
}
