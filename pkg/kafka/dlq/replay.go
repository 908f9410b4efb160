package dlq

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
)

// Cluster says where Replay reads and writes, and how it connects.
type Cluster struct {
	// Brokers is the bootstrap list; Replay refuses an empty one.
	Brokers []string
	// ClientID names Replay's clients in the brokers' logs and quotas.
	ClientID string
	TLS      conn.TLSConfig
	SASL     conn.SASLConfig
	// AutoCreateTopics lets a destination be created on its first write
	// when the broker allows it.
	AutoCreateTopics bool
	// CloseTimeout bounds the close of each client Replay opens.
	CloseTimeout time.Duration
}

// ReplayOptions select which dead letters `consumer dlq replay` moves back.
type ReplayOptions struct {
	// Topic is the dead-letter topic to read.
	Topic string
	// To overrides the destination; by default each letter goes back to
	// the topic named in its dlq.original.topic header.
	To string
	// FilterError keeps only letters whose dlq.error header contains it.
	FilterError string
	// Limit stops after this many replays; 0 means no limit. Replay
	// refuses a negative one.
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

func (s ReplaySummary) String() string {
	return fmt.Sprintf("scanned %d, matched %d, replayed %d, without original topic %d", s.Scanned, s.Matched, s.Replayed, s.NoOrigin)
}

// ErrNoOrigin is returned, wrapped, when matching letters could not be
// replayed for want of an original topic.
var ErrNoOrigin = errors.New("letters without an original topic were not replayed")

// Replay moves dead letters back: it reads a snapshot of the dead-letter
// topic (each partition from its first offset to its end when the replay
// starts), and writes every matching letter — same key and value, its
// original headers without the dlq.* and retry.* ones, plus
// dlq.replayed.from — to its original topic with acks=all. It is
// at-least-once: a letter is counted as replayed only once the write is
// acknowledged, and running it again replays again (handlers are
// idempotent). Dead letters are not deleted. progress, when not nil, is
// called after every write batch. It first checks that the brokers take
// the TLS and SASL settings (conn.Settings.Check), so a refused credential
// or certificate is reported as such.
//
// A matching letter without a dlq.original.topic header (written by hand,
// or by another tool) is never written anywhere unless opts.To names the
// destination: it is skipped, counted in NoOrigin and named in
// Unreplayable, and once the rest is replayed Replay returns an error
// wrapping ErrNoOrigin that says so.
func Replay(ctx context.Context, c Cluster, opts ReplayOptions, progress func(ReplaySummary)) (ReplaySummary, error) {
	var sum ReplaySummary
	if len(c.Brokers) == 0 {
		return sum, errors.New("dlq replay needs real brokers: set KAFKA_BROKERS (the embedded broker lives only inside a running service)")
	}
	if opts.Topic == "" {
		return sum, errors.New("dlq replay needs --topic, the dead-letter topic to read")
	}
	if opts.Limit < 0 {
		// Read as "no limit" it would replay everything to whoever meant a
		// small number.
		return sum, fmt.Errorf("dlq replay: --limit %d: give how many letters to replay at most, or 0 for all", opts.Limit)
	}
	s, err := conn.New(c.TLS, c.SASL)
	if err != nil {
		return sum, err
	}
	// A refused credential or certificate is named as such, not as the
	// metadata request's EOF.
	if err := s.Check(ctx, c.Brokers); err != nil {
		return sum, fmt.Errorf("dlq replay: %w", err)
	}
	tr := s.Transport(c.ClientID)
	defer tr.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(c.Brokers...), Transport: tr, Timeout: 30 * time.Second}
	ranges, err := partitionRanges(ctx, client, opts.Topic)
	if err != nil {
		return sum, err
	}
	p := publish.NewProducer("dlq replay")
	if !opts.DryRun {
		p.Open(c.Brokers, s, publish.LetterOptions(c.ClientID, c.AutoCreateTopics))
		defer func() { _ = p.Close(c.CloseTimeout) }()
	}
	r := replay{cluster: c, dialer: s.Dialer(), opts: opts, producer: p, sum: &sum, progress: progress}
	if err := r.partitions(ctx, ranges); err != nil {
		return sum, err
	}
	if sum.NoOrigin > 0 {
		named := strings.Join(sum.Unreplayable, ", ")
		if sum.NoOrigin > len(sum.Unreplayable) {
			named += fmt.Sprintf(" and %d more", sum.NoOrigin-len(sum.Unreplayable))
		}
		return sum, fmt.Errorf("dlq replay: %w: %d matching letters have no %s header (%s); replay them with --to", ErrNoOrigin, sum.NoOrigin, HeaderTopic, named)
	}
	return sum, nil
}

// offsetRange is a partition's snapshot: [first, end).
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

// sortedPartitions returns the partitions of ranges in order.
func sortedPartitions(ranges map[int]offsetRange) []int {
	out := make([]int, 0, len(ranges))
	for part := range ranges {
		out = append(out, part)
	}
	sort.Ints(out)
	return out
}
