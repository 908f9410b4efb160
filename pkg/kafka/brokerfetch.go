package kafka

import (
	"context"
	"sync"
	"time"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// brokerFetcher is the session fetcher (kafka.fetcher: session): the
// partitions this engine consumes are fetched by one session per broker —
// one goroutine and one connection, sending multi-partition Fetch requests
// for the partitions that broker leads — instead of one kafka-go Reader,
// with its own goroutine and connection, per partition. A placer
// (one more goroutine, and a connection while it asks) finds each
// partition's leader and hands the partition to that broker's session.
//
// Nothing runs until a partition is first fetched; a session stops when
// its last partition leaves it, the placer when the last partition
// closes. Every state change below happens under mu: which session owns a
// partition, where it fetches next, and its epoch, which a change bumps so
// that a response to a request sent before it is dropped.
type brokerFetcher struct {
	cfg brokerFetchConfig

	mu       sync.Mutex
	sessions map[int32]*brokerSession
	placer   *placer
	// open counts the partitions fetching: fetched once, not closed.
	open int
	// down: shut down with the engine; nothing starts again.
	down bool
	// running waits for every goroutine the fetcher started.
	running sync.WaitGroup
}

// brokerFetchConfig is what the sessions and the placer need of the
// engine: asked when a connection is made, since the brokers and the
// connection settings are known only once the engine started.
type brokerFetchConfig struct {
	brokers  func() []string
	settings func() conn.Settings
	// maxWait is how long a fetch waits for data (fetch_max_wait);
	// partitionMaxBytes and requestMaxBytes bound what one response may
	// hold for one partition and in all.
	maxWait           time.Duration
	partitionMaxBytes int32
	requestMaxBytes   int32
	// requestTimeout is how long a broker may stay silent while an answer
	// is due: beyond the time it may hold a fetch (maxWait) before the
	// first byte, then between reads of the response (a slow link that
	// keeps delivering is not given up on), and for a whole metadata or
	// ListOffsets answer. A broker that stopped answering is given up on,
	// reported, and its connection closed, after that long.
	requestTimeout time.Duration
}

const (
	// fetchClientID names the sessions' connections in the brokers' logs.
	fetchClientID = "consumerkit-fetch"
	// requestTimeout is brokerFetchConfig.requestTimeout. The Reader
	// gives up on a fetch after fetch_max_wait, and on a batch that stops
	// arriving after 10s; this is in between, so that a silent broker is
	// reported within seconds, as the Reader's is, while a link that is
	// slow but delivering is not cut.
	requestTimeout = 3 * time.Second
	// shortWait is how long a fetch waits for data while a partition it
	// left out, because it holds unconsumed records, is being consumed:
	// the next request will include it soon, and a broker holding an idle
	// partition's request for maxWait would keep it waiting that long.
	shortWait = 10 * time.Millisecond
	// settleTime is how long after a partition was handed to a session
	// its fetches wait at most shortWait: partitions come in waves (a new
	// generation's, those whose leader moved), and one handed over while a
	// fetch waits for data would wait with it.
	settleTime = 100 * time.Millisecond
	// maxRequestBytes is the most any one fetch response may hold (Kafka's
	// fetch.max.bytes default).
	maxRequestBytes = 50 << 20
)

func newBrokerFetcher(cfg brokerFetchConfig) *brokerFetcher {
	return &brokerFetcher{cfg: cfg, sessions: map[int32]*brokerSession{}}
}

// fetchBackoff is the pause before the attempt-th retry of something that
// failed: from 100ms, doubling, at most 1s (the Reader's ReadBackoffMin
// and ReadBackoffMax). The first attempt (0) does not wait.
func fetchBackoff(attempt int) time.Duration {
	if attempt <= 0 {
		return 0
	}
	return min(100*time.Millisecond<<min(attempt-1, 4), time.Second)
}

// startLocked registers r, whose next offset is set, and asks the placer
// to find its leader, starting the placer if it is not running. f.mu is
// held.
func (f *brokerFetcher) startLocked(r *sessionReader) {
	r.started = true
	f.open++
	if f.down {
		return
	}
	if f.placer == nil {
		f.placer = newPlacer(f)
		f.running.Add(1)
		go func(pl *placer) {
			defer f.running.Done()
			defer close(pl.done)
			pl.run()
		}(f.placer)
	}
	f.placer.queueLocked(r)
}

// unplaceLocked takes r from the session that owns it, if any: that
// session's requests for it are dropped from now on (a new epoch). What it
// had handed r and r did not take yet stays for r: r.next is past it. The
// session is returned when it is left without partitions (it has been
// stopped; the caller waits for it outside f.mu). f.mu is held.
func (f *brokerFetcher) unplaceLocked(r *sessionReader) (emptied *brokerSession) {
	r.epoch++
	s := r.owner
	if s == nil {
		return nil
	}
	r.owner = nil
	r.ownerHint.Store(nil)
	s.removeLocked(r)
	if len(s.parts) == 0 {
		f.stopSessionLocked(s)
		return s
	}
	return nil
}

// requeueLocked hands r back to the placer after a failure: its leader
// is looked up again after a backoff, and line is reported. f.mu is held.
func (f *brokerFetcher) requeueLocked(r *sessionReader, now time.Time, line string) *brokerSession {
	emptied := f.unplaceLocked(r)
	r.attempt++
	r.retryAt = now.Add(fetchBackoff(r.attempt))
	r.report(line)
	if f.placer != nil {
		f.placer.queueLocked(r)
	}
	return emptied
}

// assignLocked hands r to the session of broker id at addr, starting one
// when there is none. f.mu is held.
func (f *brokerFetcher) assignLocked(r *sessionReader, id int32, addr string) {
	s := f.sessions[id]
	if s == nil || s.addr != addr {
		if s != nil { // the broker moved: its old session ends
			for _, p := range s.parts {
				p.epoch++
				p.owner = nil
				p.needStart = true
				f.assignLaterLocked(p)
			}
			s.parts = nil
			f.stopSessionLocked(s)
		}
		s = newBrokerSession(f, id, addr)
		f.sessions[id] = s
		f.running.Add(1)
		go func() {
			defer f.running.Done()
			defer close(s.done)
			s.run()
		}()
	}
	r.epoch++
	r.owner = s
	r.ownerHint.Store(s)
	r.needStart = true
	s.parts = append(s.parts, r)
	s.assigned = time.Now()
	s.poke()
}

// assignLaterLocked queues r for the placer at once. f.mu is held.
func (f *brokerFetcher) assignLaterLocked(r *sessionReader) {
	r.ownerHint.Store(nil)
	if f.placer != nil {
		f.placer.queueLocked(r)
	}
}

// stopSessionLocked ends s: it owns nothing from now on, is no longer
// found for its broker, and its connection is closed so that a request
// in flight ends at once. f.mu is held; s.done closes when it returned.
func (f *brokerFetcher) stopSessionLocked(s *brokerSession) {
	if f.sessions[s.id] == s {
		delete(f.sessions, s.id)
	}
	s.halt()
}

// close stops fetching for r: it leaves its session (which ends if r was
// its last partition) or the placer's queue, and once no partition is
// open the placer ends too. It returns once what it stopped returned;
// every wait is on a goroutine whose connection it closed.
func (f *brokerFetcher) close(r *sessionReader) {
	f.mu.Lock()
	if r.closed || !r.started {
		r.closed = true
		f.mu.Unlock()
		return
	}
	r.closed = true
	f.open--
	var waits []<-chan struct{}
	if s := f.unplaceLocked(r); s != nil {
		waits = append(waits, s.done)
	}
	if f.placer != nil {
		f.placer.dropLocked(r)
		if f.open == 0 {
			waits = append(waits, f.placer.halt())
			f.placer = nil
		}
	}
	f.mu.Unlock()
	for _, w := range waits {
		<-w
	}
}

// shutdown stops every session and the placer and waits for them, or for
// ctx: a safety net for the engine's Stop, after every partition closed.
func (f *brokerFetcher) shutdown(ctx context.Context) error {
	f.mu.Lock()
	f.down = true
	for _, s := range f.sessions {
		f.stopSessionLocked(s)
	}
	if f.placer != nil {
		f.placer.halt()
		f.placer = nil
	}
	f.mu.Unlock()
	done := make(chan struct{})
	go func() { f.running.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
