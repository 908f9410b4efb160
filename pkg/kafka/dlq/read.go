package dlq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
)

// replay is one run of Replay: what it reads with, writes with, and counts.
type replay struct {
	cluster  Cluster
	dialer   *kafkago.Dialer
	opts     ReplayOptions
	producer *publish.Producer
	sum      *ReplaySummary
	progress func(ReplaySummary)
}

// partitions replays each partition's snapshot in partition order, until
// the limit is reached.
func (r *replay) partitions(ctx context.Context, ranges map[int]offsetRange) error {
	for _, part := range sortedPartitions(ranges) {
		rg := ranges[part]
		if rg.first >= rg.end {
			continue
		}
		reader := kafkago.NewReader(kafkago.ReaderConfig{Brokers: r.cluster.Brokers, Topic: r.opts.Topic, Partition: part, Dialer: r.dialer, MaxWait: time.Second})
		err := r.partition(ctx, reader, rg)
		_ = conn.CloseWithin(r.cluster.CloseTimeout, "dlq reader", reader.Close)
		if err != nil {
			return err
		}
		if r.opts.Limit > 0 && r.sum.Replayed >= r.opts.Limit {
			return nil
		}
	}
	return nil
}

// partition replays the letters of one partition in [rg.first, rg.end),
// writing them in batches.
func (r *replay) partition(ctx context.Context, reader *kafkago.Reader, rg offsetRange) error {
	if err := reader.SetOffset(rg.first); err != nil {
		return fmt.Errorf("dlq replay: %w", err)
	}
	const batch = 100
	var pending []kafkago.Message
	for {
		m, err := reader.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("dlq replay: read %s/%d: %w", r.opts.Topic, reader.Config().Partition, err)
		}
		r.sum.Scanned++
		if out, ok := replayable(m, r.opts, r.sum); ok {
			pending = append(pending, out)
			if r.opts.Limit > 0 && r.sum.Replayed+len(pending) >= r.opts.Limit {
				return r.flush(ctx, pending)
			}
			if len(pending) == batch {
				if err := r.flush(ctx, pending); err != nil {
					return err
				}
				pending = pending[:0]
			}
		}
		if m.Offset >= rg.end-1 {
			return r.flush(ctx, pending)
		}
	}
}

// flush writes pending (unless dry run), counts it as replayed and reports
// progress.
func (r *replay) flush(ctx context.Context, pending []kafkago.Message) error {
	if len(pending) == 0 {
		return nil
	}
	if !r.opts.DryRun {
		if err := writeRetrying(ctx, r.producer, pending); err != nil {
			return fmt.Errorf("dlq replay: nothing after %d replayed letters was written: %w", r.sum.Replayed, err)
		}
	}
	r.sum.Replayed += len(pending)
	if r.progress != nil {
		r.progress(*r.sum)
	}
	return nil
}

// writeRetrying writes msgs, riding out transient broker errors (a
// destination being auto-created, a leader moving) for up to about 30s.
func writeRetrying(ctx context.Context, p *publish.Producer, msgs []kafkago.Message) error {
	for attempt := 1; ; attempt++ {
		err := p.Write(ctx, msgs...)
		if err == nil || attempt == 10 || !temporary(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
		}
	}
}

// temporary reports whether every failure in err is one Kafka calls
// retriable. A batch that partly failed is written again whole: at-least-once.
func temporary(err error) bool {
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		for _, e := range werrs {
			if e != nil && !temporary(e) {
				return false
			}
		}
		return werrs.Count() > 0
	}
	var kerr kafkago.Error
	return errors.As(err, &kerr) && kerr.Temporary()
}

// maxNamedUnreplayable bounds how many unreplayable letters a summary
// names: enough to find them, never the whole topic.
const maxNamedUnreplayable = 10

// replayable decides whether a dead letter matches and builds the message
// that goes back.
func replayable(m kafkago.Message, opts ReplayOptions, sum *ReplaySummary) (kafkago.Message, bool) {
	var origin, reason string
	var keep []kafkago.Header
	for _, h := range m.Headers {
		switch {
		case h.Key == HeaderTopic:
			origin = string(h.Value)
		case h.Key == HeaderError:
			reason = string(h.Value)
		case strings.HasPrefix(h.Key, "dlq."), strings.HasPrefix(h.Key, "retry."):
			// A replayed letter starts afresh: no dead-letter headers, and
			// no retry-topic round that would skip its remaining rounds.
		default:
			keep = append(keep, h)
		}
	}
	if opts.FilterError != "" && !strings.Contains(reason, opts.FilterError) {
		return kafkago.Message{}, false
	}
	sum.Matched++
	to := opts.To
	if to == "" {
		to = origin
	}
	if to == "" {
		sum.NoOrigin++
		if len(sum.Unreplayable) < maxNamedUnreplayable {
			sum.Unreplayable = append(sum.Unreplayable, fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset))
		}
		return kafkago.Message{}, false
	}
	keep = append(keep, kafkago.Header{Key: HeaderReplayedFrom, Value: fmt.Appendf(nil, "%s/%d@%d", m.Topic, m.Partition, m.Offset)})
	return kafkago.Message{Topic: to, Key: m.Key, Value: m.Value, Headers: keep}, true
}
