//go:build e2e && soak

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// createSoakTopics creates the run's topics, each with partitions
// partitions. It fails the test when the broker cannot be reached: the
// soak never skips.
func createSoakTopics(t *testing.T, broker string, partitions int, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := (&kafkago.Dialer{}).DialContext(ctx, "tcp", broker)
	if err != nil {
		t.Fatalf("KAFKA_BROKERS %s cannot be reached: %v (start a broker with `make kafka-up`)", broker, err)
	}
	defer c.Close()
	ctrl, err := c.Controller()
	if err != nil {
		t.Fatalf("controller of %s: %v", broker, err)
	}
	cc, err := (&kafkago.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		t.Fatalf("controller %s:%d: %v", ctrl.Host, ctrl.Port, err)
	}
	defer cc.Close()
	var configs []kafkago.TopicConfig
	for _, topic := range topics {
		configs = append(configs, kafkago.TopicConfig{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1})
	}
	if err := cc.CreateTopics(configs...); err != nil {
		t.Fatalf("create topics %v: %v", topics, err)
	}
}

// readTopic calls fn with every record of every partition of topic, from
// the first offset to the end offset it had when readTopic began.
func readTopic(t *testing.T, broker, topic string, fn func(kafkago.Message)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := (&kafkago.Dialer{}).DialContext(ctx, "tcp", broker)
	if err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	parts, err := c.ReadPartitions(topic)
	_ = c.Close() // only its metadata was needed
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	for _, p := range parts {
		if err := readPartition(ctx, broker, topic, p.ID, fn); err != nil {
			t.Fatalf("read %s[%d]: %v", topic, p.ID, err)
		}
	}
}

// readPartition reads one partition with a partition reader (no group,
// nothing committed), from its first offset to the end offset it had
// when the read began.
func readPartition(ctx context.Context, broker, topic string, partition int, fn func(kafkago.Message)) error {
	c, err := (&kafkago.Dialer{}).DialLeader(ctx, "tcp", broker, topic, partition)
	if err != nil {
		return err
	}
	first, last, err := c.ReadOffsets()
	_ = c.Close() // only the offsets were needed
	if err != nil {
		return err
	}
	if first >= last {
		return nil
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: partition,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return err
	}
	for next := first; next < last; {
		m, err := r.FetchMessage(ctx) // no group: nothing to commit, the offsets are read, not consumed
		if err != nil {
			return fmt.Errorf("at offset %d of [%d, %d): %w", next, first, last, err)
		}
		fn(m)
		next = m.Offset + 1
	}
	return nil
}

// soakLedger accounts for every order the run produced.
type soakLedger struct {
	run      string
	produced uint64
	unsure   map[uint64]bool // writes that failed: the order may be anywhere or nowhere
	out, dlq []uint8         // per order: how often it was read back from each topic (saturating)
	// strays are records that name no order of the run; badLetters are
	// dead letters without a dlq.error header.
	strays, badLetters int
}

func newSoakLedger(run string, produced uint64, unsure map[uint64]bool) *soakLedger {
	return &soakLedger{run: run, produced: produced, unsure: unsure, out: make([]uint8, produced), dlq: make([]uint8, produced)}
}

// seen counts order id in counts, or a stray.
func (l *soakLedger) seen(counts []uint8, id string) {
	seq, ok := soakSeq(l.run, id)
	if !ok || seq >= l.produced {
		l.strays++
		return
	}
	if counts[seq] < 255 {
		counts[seq]++
	}
}

// output records one enriched order.
func (l *soakLedger) output(m kafkago.Message) {
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(m.Value, &o) != nil {
		l.strays++
		return
	}
	l.seen(l.out, o.ID)
}

// letter records one dead letter: by its soak.id header, since its value
// need not decode; it must say why (dlq.error).
func (l *soakLedger) letter(m kafkago.Message) {
	var id, reason string
	for _, h := range m.Headers {
		switch h.Key {
		case soakIDHeader:
			id = string(h.Value)
		case "dlq.error":
			reason = string(h.Value)
		}
	}
	if reason == "" {
		l.badLetters++
	}
	l.seen(l.dlq, id)
}

// soakAccount is the ledger's verdict.
type soakAccount struct {
	lost, misplaced, duplicates, panicsOut, poisonIn int
	examples                                         []string
}

// account checks every order: poison ones in the dead-letter topic only,
// the others (panicking ones too) in the output only; each at least once.
// An order read back more than once counts as a duplicate.
func (l *soakLedger) account() soakAccount {
	var a soakAccount
	note := func(format string, args ...any) {
		if len(a.examples) < 10 {
			a.examples = append(a.examples, fmt.Sprintf(format, args...))
		}
	}
	for seq := range l.produced {
		if l.unsure[seq] {
			continue
		}
		kind := soakKindOf(seq)
		where, wrong := l.out[seq], l.dlq[seq]
		if kind == soakPoison {
			where, wrong = l.dlq[seq], l.out[seq]
		}
		switch {
		case where == 0 && wrong == 0:
			a.lost++
			note("order %d (kind %d) is in neither topic", seq, kind)
		case where == 0 || wrong > 0:
			a.misplaced++
			note("order %d (kind %d): %d times in the output, %d in the dead-letter topic", seq, kind, l.out[seq], l.dlq[seq])
		}
		if where > 1 {
			a.duplicates += int(where) - 1
		}
		switch {
		case kind == soakPanic && l.out[seq] > 0:
			a.panicsOut++
		case kind == soakPoison && l.dlq[seq] > 0:
			a.poisonIn++
		}
	}
	return a
}
