package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/metadata"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// placer finds the leader of each partition queued to it and hands the
// partition to that broker's session: partitions starting to fetch, and
// those a session gave back (the leader moved, or the broker could not be
// reached). It asks the brokers' metadata, on a connection of its own for
// each round, and retries what it could not place after a backoff.
type placer struct {
	f *brokerFetcher
	// queue is guarded by f.mu.
	queue []*sessionReader
	wake  chan struct{}

	// ctx ends when the placer is halted, and with it a dial in progress.
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards halted and ctrl
	halted bool
	ctrl   *conn.BrokerConn
	done   chan struct{}
}

func newPlacer(f *brokerFetcher) *placer {
	ctx, cancel := context.WithCancel(context.Background())
	return &placer{f: f, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// queueLocked adds r to the queue (once). f.mu is held.
func (pl *placer) queueLocked(r *sessionReader) {
	if !slices.Contains(pl.queue, r) {
		pl.queue = append(pl.queue, r)
	}
	select {
	case pl.wake <- struct{}{}:
	default:
	}
}

// dropLocked takes r off the queue. f.mu is held.
func (pl *placer) dropLocked(r *sessionReader) {
	pl.queue = slices.DeleteFunc(pl.queue, func(q *sessionReader) bool { return q == r })
}

// halt stops the placer, closing the connection it may be waiting on,
// and returns what closes once it has returned.
func (pl *placer) halt() <-chan struct{} {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if !pl.halted {
		pl.halted = true
		pl.cancel()
		if pl.ctrl != nil {
			_ = pl.ctrl.Close()
		}
	}
	return pl.done
}

// run is the placer's goroutine; done is closed once it has returned (by
// its starter).
func (pl *placer) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for pl.ctx.Err() == nil {
		due, wait := pl.takeDue(time.Now())
		if len(due) > 0 {
			pl.place(due)
			continue
		}
		timer.Reset(wait)
		select {
		case <-pl.ctx.Done():
			return
		case <-pl.wake:
		case <-timer.C:
		}
	}
}

// takeDue returns the queued partitions whose backoff has passed, taking
// them off the queue, and how long until the next one's does.
func (pl *placer) takeDue(now time.Time) (due []*sessionReader, wait time.Duration) {
	f := pl.f
	f.mu.Lock()
	defer f.mu.Unlock()
	wait = time.Hour
	pl.queue = slices.DeleteFunc(pl.queue, func(r *sessionReader) bool {
		switch {
		case r.closed || r.owner != nil:
			return true
		case !r.retryAt.After(now):
			due = append(due, r)
			return true
		}
		wait = min(wait, r.retryAt.Sub(now))
		return false
	})
	return due, wait
}

// place looks up the leaders of due and hands each to its leader's
// session; what cannot be placed is queued again after a backoff, its
// reason reported.
func (pl *placer) place(due []*sessionReader) {
	var topics []string
	for _, r := range due {
		if !slices.Contains(topics, r.topic) {
			topics = append(topics, r.topic)
		}
	}
	md, err := pl.metadata(topics)
	f := pl.f
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range due {
		if r.closed || r.owner != nil {
			continue
		}
		if err != nil {
			f.requeueLocked(r, now, fmt.Sprintf("error initializing the session fetcher for partition %d of %s: %v", r.partition, r.topic, err))
			continue
		}
		id, addr, why := leaderOf(md, r.topic, r.partition)
		if why != "" {
			f.requeueLocked(r, now, fmt.Sprintf("error initializing the session fetcher for partition %d of %s: %s", r.partition, r.topic, why))
			continue
		}
		f.assignLocked(r, id, addr)
	}
}

// leaderOf finds the leader of a partition in md, or says why not.
func leaderOf(md *metadata.Response, topic string, partition int32) (id int32, addr, why string) {
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.ErrorCode != 0 {
			return 0, "", kafkago.Error(t.ErrorCode).Error()
		}
		for _, p := range t.Partitions {
			if p.PartitionIndex != partition {
				continue
			}
			if p.ErrorCode != 0 && p.LeaderID < 0 {
				return 0, "", kafkago.Error(p.ErrorCode).Error()
			}
			for _, b := range md.Brokers {
				if b.NodeID == p.LeaderID {
					return b.NodeID, net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))), ""
				}
			}
			return 0, "", fmt.Sprintf("leader %d is not among the brokers", p.LeaderID)
		}
		return 0, "", "no such partition"
	}
	return 0, "", kafkago.UnknownTopicOrPartition.Error()
}

// metadata asks the bootstrap brokers, in order, for the metadata of
// topics, on a connection made for it and closed after; each broker's
// attempt is bounded by the dial timeout and requestTimeout.
func (pl *placer) metadata(topics []string) (*metadata.Response, error) {
	var errs []error
	for _, addr := range pl.f.cfg.brokers() {
		md, err := pl.metadataFrom(addr, topics)
		if err == nil {
			return md, nil
		}
		errs = append(errs, err)
		if pl.isHalted() {
			break
		}
	}
	if len(errs) == 0 {
		return nil, errors.New("no brokers to ask")
	}
	return nil, errors.Join(errs...)
}

func (pl *placer) metadataFrom(addr string, topics []string) (*metadata.Response, error) {
	c, err := pl.f.cfg.settings().DialBroker(pl.ctx, addr, fetchClientID)
	if err != nil {
		return nil, err
	}
	if !pl.hold(c) {
		_ = c.Close()
		return nil, errors.New("session fetcher stopped")
	}
	defer pl.release(c)
	_ = c.SetDeadline(time.Now().Add(pl.f.cfg.requestTimeout))
	res, err := c.RoundTrip(&metadata.Request{TopicNames: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata from %s: %w", addr, err)
	}
	return res.(*metadata.Response), nil
}

// hold makes c the connection halt closes; false when already halted.
func (pl *placer) hold(c *conn.BrokerConn) bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.halted {
		return false
	}
	pl.ctrl = c
	return true
}

// release closes c and forgets it.
func (pl *placer) release(c *conn.BrokerConn) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.ctrl == c {
		pl.ctrl = nil
	}
	_ = c.Close()
}

func (pl *placer) isHalted() bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.halted
}
