//go:build !brokerfree

package dlq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	kafkago "github.com/segmentio/kafka-go"
)

// TestReplayMovesMatchingDeadLettersBack: dead letters go back to their
// original topic, from every partition of the dead-letter topic, filtered
// by error text and limited in number, with their original headers and a
// trace of where they came from; a dry run writes nothing.
func TestReplayMovesMatchingDeadLettersBack(t *testing.T) {
	b := newTestBroker(t)
	orders := b.createTopic("replay-orders", 1)
	dlqTopic := b.createTopic("replay-orders.dlq", 2)
	trace := kafkago.Header{Key: "trace", Value: []byte("t")}
	var letters []kafkago.Message
	for i := range 6 {
		reason := "malformed order"
		if i%2 == 0 {
			reason = "timeout talking to billing"
		}
		extra := []kafkago.Header{trace}
		if i == 4 {
			// Written by an older version, which kept retry.* headers:
			// replay drops them, or the message would skip its rounds.
			extra = append(extra, kafkago.Header{Key: "retry.round", Value: []byte("2")})
		}
		letters = append(letters, letter(dlqTopic, i%2, orders, i, reason, extra...))
	}
	b.produce(letters...)
	ctx := context.Background()
	endOf := func() int64 { return b.end(orders, 1)[0] }

	sum, err := Replay(ctx, b.cluster(), ReplayOptions{Topic: dlqTopic, FilterError: "timeout", DryRun: true}, nil)
	if err != nil || sum.Scanned != 6 || sum.Matched != 3 || sum.Replayed != 3 || endOf() != 0 {
		t.Fatalf("dry run: %v, %v; original topic end %d", sum, err, endOf())
	}
	var progressed int
	sum, err = Replay(ctx, b.cluster(), ReplayOptions{Topic: dlqTopic, FilterError: "timeout", Limit: 2}, func(ReplaySummary) { progressed++ })
	if err != nil || sum.Replayed != 2 || endOf() != 2 || progressed == 0 {
		t.Fatalf("limited replay: %v, %v; original topic end %d", sum, err, endOf())
	}
	sum, err = Replay(ctx, b.cluster(), ReplayOptions{Topic: dlqTopic}, nil)
	if err != nil || sum.Replayed != 6 || endOf() != 8 {
		t.Fatalf("full replay: %v, %v; original topic end %d", sum, err, endOf())
	}
	// Every message replayed, the letter with retry.* headers among them.
	for _, m := range b.readAll(orders, 1) {
		if headerOf(m, "trace") != "t" || headerOf(m, HeaderError) != "" || !strings.HasPrefix(headerOf(m, HeaderReplayedFrom), dlqTopic+"/") {
			t.Fatalf("replayed message headers: %v", m.Headers)
		}
		for _, h := range m.Headers {
			if strings.HasPrefix(h.Key, "retry.") || strings.HasPrefix(h.Key, "dlq.") && h.Key != HeaderReplayedFrom {
				t.Fatalf("replayed message keeps %s", h.Key)
			}
		}
		if !strings.HasPrefix(string(m.Key), "k") || string(m.Value) != "v"+string(m.Key)[1:] {
			t.Fatalf("replayed message changed: %q %q", m.Key, m.Value)
		}
	}
}

// TestReplayRefusesWhatItCannotDo: no brokers (the embedded broker lives
// only inside a running service), no dead-letter topic and a negative
// limit are usage errors, reported before any connection, naming what to
// set.
func TestReplayRefusesWhatItCannotDo(t *testing.T) {
	ctx := context.Background()
	if _, err := Replay(ctx, Cluster{}, ReplayOptions{Topic: "orders.dlq"}, nil); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("replay without brokers: %v", err)
	}
	if _, err := Replay(ctx, Cluster{Brokers: []string{"127.0.0.1:1"}}, ReplayOptions{}, nil); err == nil || !strings.Contains(err.Error(), "--topic") {
		t.Fatalf("replay without a topic: %v", err)
	}
	if _, err := Replay(ctx, Cluster{Brokers: []string{"127.0.0.1:1"}}, ReplayOptions{Topic: "orders.dlq", Limit: -1}, nil); err == nil || !strings.Contains(err.Error(), "--limit -1") {
		t.Fatalf("replay with a negative limit: %v", err)
	}
}

// TestReplayReportsLettersWithoutAnOriginalTopic: a replay replays every
// letter it can, then fails naming those it could not for want of an
// original topic; with --to they go there.
func TestReplayReportsLettersWithoutAnOriginalTopic(t *testing.T) {
	b := newTestBroker(t)
	orders := b.createTopic("replay-noorigin", 1)
	dlqTopic := b.createTopic("replay-noorigin.dlq", 1)
	good := letter(dlqTopic, 0, orders, 0, "boom")
	good.Value = []byte("good")
	handMade := kafkago.Message{Topic: dlqTopic, Value: []byte("hand-made"), Headers: []kafkago.Header{{Key: HeaderError, Value: []byte("boom")}}}
	emptied := kafkago.Message{Topic: dlqTopic, Value: []byte("emptied"), Headers: []kafkago.Header{{Key: HeaderTopic, Value: []byte{}}}}
	b.produce(handMade, good, emptied)
	ctx := context.Background()

	for _, dryRun := range []bool{true, false} {
		sum, err := Replay(ctx, b.cluster(), ReplayOptions{Topic: dlqTopic, DryRun: dryRun}, nil)
		if !errors.Is(err, ErrNoOrigin) || !strings.Contains(err.Error(), "2 matching letters have no dlq.original.topic header ("+dlqTopic+"/0@0, "+dlqTopic+"/0@2); replay them with --to") {
			t.Fatalf("dry run %v: error %v", dryRun, err)
		}
		if sum.Scanned != 3 || sum.Matched != 3 || sum.Replayed != 1 || sum.NoOrigin != 2 {
			t.Fatalf("dry run %v: %v", dryRun, sum)
		}
	}
	if got := b.readAll(orders, 1); len(got) != 1 || string(got[0].Value) != "good" {
		t.Fatalf("the original topic holds %d messages; want only the letter that named it", len(got))
	}
	elsewhere := b.createTopic("replay-noorigin-to", 1)
	if sum, err := Replay(ctx, b.cluster(), ReplayOptions{Topic: dlqTopic, To: elsewhere}, nil); err != nil || sum.Replayed != 3 || sum.NoOrigin != 0 || b.end(elsewhere, 1)[0] != 3 {
		t.Fatalf("with --to: %v, %v; %d written there", sum, err, b.end(elsewhere, 1)[0])
	}
}

// TestReplayWritesEveryLetterOnceAcrossBatches: letters are written in
// batches of 100, each once, with progress after every batch.
func TestReplayWritesEveryLetterOnceAcrossBatches(t *testing.T) {
	b := newTestBroker(t)
	orders := b.createTopic("replay-batches", 1)
	dlqTopic := b.createTopic("replay-batches.dlq", 1)
	const n = 250
	letters := make([]kafkago.Message, n)
	for i := range letters {
		letters[i] = letter(dlqTopic, 0, orders, i, "boom")
	}
	b.produce(letters...)
	var progress []int
	sum, err := Replay(context.Background(), b.cluster(), ReplayOptions{Topic: dlqTopic}, func(s ReplaySummary) { progress = append(progress, s.Replayed) })
	if err != nil || sum.Scanned != n || sum.Replayed != n || b.end(orders, 1)[0] != n {
		t.Fatalf("replay of %d letters: %v, %v; original topic end %d", n, sum, err, b.end(orders, 1)[0])
	}
	if fmt.Sprint(progress) != "[100 200 250]" {
		t.Fatalf("progress after %v replayed, want after every batch: [100 200 250]", progress)
	}
}
