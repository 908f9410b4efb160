package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// ReplayOptions select which dead letters `consumer dlq replay` moves back.
type ReplayOptions struct {
	// Topic is the dead-letter topic to read.
	Topic string
	// To overrides the destination; by default each letter goes back to
	// the topic named in its dlq.original.topic header.
	To string
	// FilterError keeps only letters whose dlq.error header contains it.
	FilterError string
	// Limit stops after this many replays; 0 means no limit.
	Limit int
	// DryRun reports what would be replayed and writes nothing.
	DryRun bool
}

// ReplaySummary counts what a replay saw and did.
type ReplaySummary struct {
	Scanned, Matched, Replayed, NoOrigin int
	// Unreplayable names (topic/partition@offset) the first
	// maxNamedUnreplayable matching letters that were not replayed because
	// they have no dlq.original.topic and no --to was given.
	Unreplayable []string
}

// maxNamedUnreplayable bounds how many unreplayable letters a summary
// names: enough to find them, never the whole topic.
const maxNamedUnreplayable = 10

// errNoOrigin is returned, wrapped, when matching letters could not be
// replayed for want of an original topic.
var errNoOrigin = errors.New("letters without an original topic were not replayed")

func (s ReplaySummary) String() string {
	return fmt.Sprintf("scanned %d, matched %d, replayed %d, without original topic %d", s.Scanned, s.Matched, s.Replayed, s.NoOrigin)
}

// HeaderReplayedFrom names the dead letter a replayed message came from.
const HeaderReplayedFrom = "dlq.replayed.from"

// Replay moves dead letters back: it reads a snapshot of the dead-letter
// topic (each partition from its first offset to its end when the replay
// starts), and writes every matching letter — same key and value, its
// original headers without the dlq.* and retry.* ones, plus
// dlq.replayed.from — to
// its original topic with acks=all. It is at-least-once: a letter is
// counted as replayed only once the write is acknowledged, and running it
// again replays again (handlers are idempotent). Dead letters are not
// deleted. progress is called after every write batch.
//
// A matching letter without a dlq.original.topic header (written by hand,
// or by another tool) is never written anywhere unless opts.To names the
// destination: it is skipped, counted in NoOrigin and named in
// Unreplayable, and once the rest is replayed Replay returns an error
// (wrapping errNoOrigin) saying so.
func Replay(ctx context.Context, cfg Config, opts ReplayOptions, progress func(ReplaySummary)) (ReplaySummary, error) {
	var sum ReplaySummary
	if cfg.UsesEmbedded() {
		return sum, errors.New("dlq replay needs real brokers: set KAFKA_BROKERS (the embedded broker lives only inside a running service)")
	}
	if opts.Topic == "" {
		return sum, errors.New("dlq replay needs --topic, the dead-letter topic to read")
	}
	conn, err := newConnection(cfg)
	if err != nil {
		return sum, err
	}
	tr := conn.transport(cfg.GroupID + "-dlq-replay")
	defer tr.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Transport: tr, Timeout: 30 * time.Second}
	ends, err := partitionRanges(ctx, client, opts.Topic)
	if err != nil {
		return sum, err
	}
	var p producer
	p.name = "dlq replay"
	if !opts.DryRun {
		p.open(cfg.Brokers, conn, producerOptions{clientID: cfg.GroupID + "-dlq-replay", autoCreate: cfg.AutoCreateTopics, compression: kafkago.Lz4, batchBytes: maxLetterBytes})
		defer func() { _ = p.close(cfg.CloseTimeout) }()
	}
	partitions := make([]int, 0, len(ends))
	for part := range ends {
		partitions = append(partitions, part)
	}
	sort.Ints(partitions)
	for _, part := range partitions {
		r := ends[part]
		if r.first >= r.end {
			continue
		}
		reader := kafkago.NewReader(kafkago.ReaderConfig{Brokers: cfg.Brokers, Topic: opts.Topic, Partition: part, Dialer: conn.dialer(), MaxWait: time.Second})
		err := replayPartition(ctx, reader, r, opts, &p, &sum, progress)
		_ = closeWithin(cfg.CloseTimeout, "dlq reader", reader.Close)
		if err != nil {
			return sum, err
		}
		if opts.Limit > 0 && sum.Replayed >= opts.Limit {
			break
		}
	}
	if sum.NoOrigin > 0 {
		named := strings.Join(sum.Unreplayable, ", ")
		if sum.NoOrigin > len(sum.Unreplayable) {
			named += fmt.Sprintf(" and %d more", sum.NoOrigin-len(sum.Unreplayable))
		}
		return sum, fmt.Errorf("dlq replay: %w: %d matching letters have no %s header (%s); replay them with --to", errNoOrigin, sum.NoOrigin, HeaderTopic, named)
	}
	return sum, nil
}

type offsetRange struct{ first, end int64 }

func partitionRanges(ctx context.Context, client *kafkago.Client, topic string) (map[int]offsetRange, error) {
	md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("dlq replay: metadata of %s: %w", topic, err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		var terr error
		if len(md.Topics) == 1 {
			terr = md.Topics[0].Error
		}
		return nil, fmt.Errorf("dlq replay: topic %s: %v", topic, terr)
	}
	reqs := map[string][]kafkago.OffsetRequest{}
	for _, p := range md.Topics[0].Partitions {
		reqs[topic] = append(reqs[topic], kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
	}
	res, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: reqs})
	if err != nil {
		return nil, fmt.Errorf("dlq replay: offsets of %s: %w", topic, err)
	}
	out := map[int]offsetRange{}
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("dlq replay: offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = offsetRange{first: po.FirstOffset, end: po.LastOffset}
	}
	return out, nil
}

func replayPartition(ctx context.Context, reader *kafkago.Reader, r offsetRange, opts ReplayOptions, p *producer, sum *ReplaySummary, progress func(ReplaySummary)) error {
	if err := reader.SetOffset(r.first); err != nil {
		return fmt.Errorf("dlq replay: %w", err)
	}
	const batch = 100
	var pending []kafkago.Message
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if !opts.DryRun {
			if err := writeRetrying(ctx, p, pending); err != nil {
				return fmt.Errorf("dlq replay: nothing after %d replayed letters was written: %w", sum.Replayed, err)
			}
		}
		sum.Replayed += len(pending)
		pending = pending[:0]
		if progress != nil {
			progress(*sum)
		}
		return nil
	}
	for {
		m, err := reader.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("dlq replay: read %s/%d: %w", opts.Topic, reader.Config().Partition, err)
		}
		sum.Scanned++
		if out, ok := replayable(m, opts, sum); ok {
			pending = append(pending, out)
			if opts.Limit > 0 && sum.Replayed+len(pending) >= opts.Limit {
				return flush()
			}
			if len(pending) == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if m.Offset >= r.end-1 {
			return flush()
		}
	}
}

// writeRetrying writes msgs, riding out transient broker errors (a
// destination being auto-created, a leader moving) for up to about 30s.
func writeRetrying(ctx context.Context, p *producer, msgs []kafkago.Message) error {
	for attempt := 1; ; attempt++ {
		err := p.write(ctx, msgs)
		if err == nil || attempt == 10 || !temporary(err) {
			return err
		}
		if !sleep(ctx, time.Duration(attempt)*500*time.Millisecond) {
			return err
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
