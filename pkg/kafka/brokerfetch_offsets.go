package kafka

import (
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/listoffsets"
)

// listedOffset is a partition's first or last offset as the broker
// listed it, or the error it gave instead.
type listedOffset struct {
	offset int64
	code   kafkago.Error
}

// resolve lists the first and last offsets of ps and acts on them as the
// Reader does (see applyOffsets). An error is the connection's.
func (s *brokerSession) resolve(ps []planned) error {
	first, err := s.listOffsets(ps, kafkago.FirstOffset)
	if err != nil {
		return err
	}
	last, err := s.listOffsets(ps, kafkago.LastOffset)
	if err != nil {
		return err
	}
	s.applyOffsets(ps, first, last, time.Now())
	return nil
}

// listOffsets asks for the offset at of each of ps: kafkago.FirstOffset
// or LastOffset (the high-water mark, as the Reader reads uncommitted).
func (s *brokerSession) listOffsets(ps []planned, at int64) (map[topicPartition]listedOffset, error) {
	req := &listoffsets.Request{ReplicaID: -1}
	byTopic := map[string]int{}
	for _, pl := range ps {
		i, ok := byTopic[pl.r.topic]
		if !ok {
			i = len(req.Topics)
			byTopic[pl.r.topic] = i
			req.Topics = append(req.Topics, listoffsets.RequestTopic{Topic: pl.r.topic})
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, listoffsets.RequestPartition{Partition: pl.r.partition, CurrentLeaderEpoch: -1, Timestamp: at})
	}
	c := s.connection()
	if err := c.SetDeadline(time.Now().Add(s.f.cfg.requestTimeout)); err != nil {
		return nil, err
	}
	m, err := c.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("list offsets from broker %d (%s): %w", s.id, s.addr, err)
	}
	listed := map[topicPartition]listedOffset{}
	for _, t := range m.(*listoffsets.Response).Topics {
		for _, p := range t.Partitions {
			listed[topicPartition{t.Topic, p.Partition}] = listedOffset{offset: p.Offset, code: kafkago.Error(p.ErrorCode)}
		}
	}
	return listed, nil
}

// applyOffsets acts on the listed offsets of ps, as the Reader does on
// its own when it connects, and when a fetch is out of range:
//   - starting (or restarting on another broker): kafkago.FirstOffset
//     becomes the first offset, LastOffset the last, and an offset before
//     the first becomes the first, without a word;
//   - out of range: before the first offset it skips to the first,
//     reporting how many it skipped; before the last it fetches again at
//     once; past the last it reports and fetches again after a backoff,
//     until the partition has grown that far. It never starts over.
func (s *brokerSession) applyOffsets(ps []planned, first, last map[topicPartition]listedOffset, now time.Time) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pl := range ps {
		r := pl.r
		if r.owner != s || r.epoch != pl.epoch || r.closed {
			continue
		}
		key := topicPartition{r.topic, r.partition}
		fo, ok1 := first[key]
		lo, ok2 := last[key]
		code := fo.code
		if code == 0 {
			code = lo.code
		}
		switch {
		case !ok1 || !ok2:
			r.report(fmt.Sprintf("broker %d (%s) listed no offsets for partition %d of %s", s.id, s.addr, r.partition, r.topic))
			r.attempt++
			r.retryAt = now.Add(fetchBackoff(r.attempt))
		case leaderMoved(code):
			f.requeueLocked(r, now, fmt.Sprintf("failed to list the offsets of partition %d of %s on broker %d (%s): %v", r.partition, r.topic, s.id, s.addr, code))
		case code != 0:
			r.report(fmt.Sprintf("the session fetcher got an error listing the offsets of partition %d of %s on broker %d (%s): %v", r.partition, r.topic, s.id, s.addr, code))
			r.attempt++
			r.retryAt = now.Add(fetchBackoff(r.attempt))
		case r.needStart:
			r.needStart = false
			switch {
			case r.next == kafkago.LastOffset:
				r.next = lo.offset
			case r.next < fo.offset: // kafkago.FirstOffset too
				r.next = fo.offset
			}
		default:
			r.checkRange = false
			s.outOfRangeLocked(r, fo.offset, lo.offset, now)
		}
	}
}

// outOfRangeLocked acts on a fetch of r that was out of range, given the
// partition's first and last offsets (see applyOffsets). f.mu is held.
func (s *brokerSession) outOfRangeLocked(r *sessionReader, first, last int64, now time.Time) {
	switch {
	case r.next < first:
		r.report(fmt.Sprintf("the session fetcher is reading before the first offset for partition %d of %s, skipping from offset %d to %d (%d messages)",
			r.partition, r.topic, r.next, first, first-r.next))
		r.next, r.attempt = first, 0
	case r.next < last:
		r.attempt = 0 // more messages have become available: fetch again at once
	default:
		r.report(fmt.Sprintf("the session fetcher is reading past the last offset for partition %d of %s at offset %d", r.partition, r.topic, r.next))
		r.attempt++
		r.retryAt = now.Add(fetchBackoff(r.attempt))
	}
}
