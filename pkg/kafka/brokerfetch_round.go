package kafka

import (
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/fetch"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// fetchPlan is one round of a session: what it resolves, or fetches.
type fetchPlan struct {
	// exit: the session owns nothing and has ended.
	exit bool
	// resolve are the partitions whose offsets are looked up first.
	resolve []planned
	// fetch are the partitions with room, each where it fetches next;
	// index finds them by topic and partition; topics names the topics.
	fetch  []planned
	index  map[topicPartition]int
	topics map[string]string
	// wait is how long until a partition's backoff passes, when nothing
	// can be fetched now; maxWait is how long the broker may hold the
	// fetch for data.
	wait    time.Duration
	maxWait time.Duration
}

type topicPartition struct {
	topic     string
	partition int32
}

// planned is a partition as the plan saw it: a response for it counts
// only while its epoch is still the same.
type planned struct {
	r      *sessionReader
	epoch  uint64
	offset int64
}

// plan decides the round from the partitions' state.
func (s *brokerSession) plan(now time.Time) fetchPlan {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	p := fetchPlan{wait: time.Hour, maxWait: f.cfg.maxWait}
	if now.Sub(s.assigned) < settleTime {
		p.maxWait = min(p.maxWait, shortWait)
	}
	if len(s.parts) == 0 {
		f.stopSessionLocked(s)
		return fetchPlan{exit: true}
	}
	n := len(s.parts)
	s.rotate = (s.rotate + 1) % n
	// A partition read twice at once (two readers of it open, as a test
	// may) goes once into a request: a broker refuses a partition asked
	// twice. The other reader has its turn next round.
	asked := make(map[topicPartition]bool, n)
	for i := range n {
		r := s.parts[(s.rotate+i)%n]
		tp := topicPartition{r.topic, r.partition}
		switch {
		case asked[tp]:
			continue
		case r.retryAt.After(now):
			p.wait = min(p.wait, r.retryAt.Sub(now))
		case r.needStart || r.checkRange:
			asked[tp] = true
			p.resolve = append(p.resolve, planned{r: r, epoch: r.epoch, offset: r.next})
		case len(r.slot) > 0:
			// Its records wait to be taken. While they are being taken,
			// it will want more soon: do not let the broker hold this
			// round for the others' data (see shortWait).
			if now.Sub(time.Unix(0, r.lastTake.Load())) < f.cfg.maxWait {
				p.maxWait = min(p.maxWait, shortWait)
			}
		default:
			asked[tp] = true
			p.add(planned{r: r, epoch: r.epoch, offset: r.next})
		}
	}
	return p
}

func (p *fetchPlan) add(pl planned) {
	if p.index == nil {
		p.index, p.topics = map[topicPartition]int{}, map[string]string{}
	}
	p.index[topicPartition{pl.r.topic, pl.r.partition}] = len(p.fetch)
	p.topics[pl.r.topic] = pl.r.topic
	p.fetch = append(p.fetch, pl)
}

// fetch sends the plan's Fetch request and reads the response: its first
// bytes within the time the broker may hold it plus requestTimeout, the
// rest with no gap longer than requestTimeout.
func (s *brokerSession) fetch(p fetchPlan) (*fetchResponse, error) {
	c := s.connection()
	version := c.Versions[protocol.Fetch]
	if version < 4 {
		return nil, fmt.Errorf("broker %d (%s) speaks Fetch up to v%d; the session fetcher needs v4 (Kafka 0.11) or later", s.id, s.addr, version)
	}
	cfg := s.f.cfg
	req := &fetch.Request{
		ReplicaID: -1, MaxWaitTime: int32(p.maxWait / time.Millisecond), MinBytes: 1,
		MaxBytes:  int32(min(int64(len(p.fetch))*int64(cfg.partitionMaxBytes), int64(cfg.requestMaxBytes))),
		SessionID: 0, SessionEpoch: -1, // a full request, outside any broker-side fetch session
	}
	byTopic := map[string]int{}
	for _, pl := range p.fetch {
		i, ok := byTopic[pl.r.topic]
		if !ok {
			i = len(req.Topics)
			byTopic[pl.r.topic] = i
			req.Topics = append(req.Topics, fetch.RequestTopic{Topic: pl.r.topic})
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, fetch.RequestPartition{
			Partition: pl.r.partition, CurrentLeaderEpoch: -1, FetchOffset: pl.offset, LogStartOffset: -1,
			PartitionMaxBytes: cfg.partitionMaxBytes,
		})
	}
	s.correlation++
	if err := c.SetDeadline(time.Now().Add(p.maxWait + cfg.requestTimeout)); err != nil {
		return nil, err
	}
	if err := protocol.WriteRequest(c, version, s.correlation, fetchClientID, req); err != nil {
		return nil, fmt.Errorf("fetch from broker %d (%s): %w", s.id, s.addr, err)
	}
	res, err := readFetchResponse(&progressReader{c: c, gap: cfg.requestTimeout}, version, s.correlation, p.topics)
	if err != nil {
		return nil, fmt.Errorf("fetch from broker %d (%s): %w", s.id, s.addr, err)
	}
	if res.errorCode != 0 {
		return nil, fmt.Errorf("fetch from broker %d (%s): %w", s.id, s.addr, kafkago.Error(res.errorCode))
	}
	return res, nil
}

// progressReader reads a response from c, giving up when it stops
// arriving for gap: the deadline set before the first read stands until
// data comes, then each read has gap.
type progressReader struct {
	c       *conn.BrokerConn
	gap     time.Duration
	started bool
}

func (r *progressReader) Read(b []byte) (int, error) {
	if r.started {
		if err := r.c.SetReadDeadline(time.Now().Add(r.gap)); err != nil {
			return 0, err
		}
	}
	n, err := r.c.Read(b)
	r.started = r.started || n > 0
	return n, err
}

// dispatch hands each partition its share of res, as the Reader would
// act on it: records are handed over; an offset out of range is looked
// into (see resolve); a leader that moved sends the partition back to the
// placer; a request timeout is retried; any other error is reported,
// returned by FetchMessage, and retried after a backoff.
func (s *brokerSession) dispatch(p fetchPlan, res *fetchResponse) {
	f := s.f
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fp := range res.partitions {
		i, ok := p.index[topicPartition{fp.topic, fp.partition}]
		if !ok {
			continue
		}
		pl := p.fetch[i]
		r := pl.r
		if r.owner != s || r.epoch != pl.epoch || r.closed {
			continue // moved, repositioned or closed since the request
		}
		code := kafkago.Error(fp.errorCode)
		switch {
		case fp.errorCode == 0:
			s.deliverLocked(pl, fp, now)
		case code == kafkago.OffsetOutOfRange:
			r.checkRange = true
		case leaderMoved(code):
			f.requeueLocked(r, now, fmt.Sprintf("failed to read from broker %d (%s) for partition %d of %s at offset %d: %v",
				s.id, s.addr, r.partition, r.topic, pl.offset, code))
		case code == kafkago.RequestTimedOut:
		default:
			err := fmt.Errorf("partition %d of %s at offset %d, broker %d (%s): %w", r.partition, r.topic, pl.offset, s.id, s.addr, code)
			r.report("the session fetcher got an error: " + err.Error())
			r.attempt++
			r.retryAt = now.Add(fetchBackoff(r.attempt))
			handLocked(r, &fetchedChunk{err: err})
		}
	}
}

// deliverLocked hands a partition its whole batches and moves its next
// offset past them. f.mu is held.
func (s *brokerSession) deliverLocked(pl planned, fp fetchedPartition, now time.Time) {
	r := pl.r
	n, next, err := completeBatches(fp.records)
	if err != nil {
		r.report(fmt.Sprintf("the session fetcher got an unreadable response for partition %d of %s at offset %d from broker %d (%s): %v",
			r.partition, r.topic, pl.offset, s.id, s.addr, err))
		r.attempt++
		r.retryAt = now.Add(fetchBackoff(r.attempt))
		return
	}
	r.attempt = 0 // the broker answered for it
	if n == 0 || next <= pl.offset {
		return // nothing new: fetched again next round
	}
	if handLocked(r, &fetchedChunk{records: fp.records[:n], from: pl.offset, highWater: fp.highWater}) {
		r.next = next
	}
}

// handLocked puts c in r's slot. The slot has room: a session fetches a
// partition only while its slot is empty, and only the owning session
// fills it. Were that ever not so, c is dropped, said so, and fetched
// again, rather than block every session on f.mu.
func handLocked(r *sessionReader, c *fetchedChunk) bool {
	select {
	case r.slot <- c:
		return true
	default:
		r.report(fmt.Sprintf("the session fetcher found partition %d of %s still holding records it was not asked for; fetching again from %d", r.partition, r.topic, r.next))
		return false
	}
}

// leaderMoved reports whether code means the partition must be fetched
// from another broker, or this one after its metadata is looked up again:
// the errors on which the Reader dials the leader again.
func leaderMoved(code kafkago.Error) bool {
	for _, e := range []kafkago.Error{kafkago.NotLeaderForPartition, kafkago.UnknownTopicOrPartition, kafkago.LeaderNotAvailable,
		kafkago.ReplicaNotAvailable, kafkago.KafkaStorageError, kafkago.FencedLeaderEpoch, kafkago.UnknownLeaderEpoch} {
		if errors.Is(code, e) {
			return true
		}
	}
	return false
}
