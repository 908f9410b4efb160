//go:build !brokerfree

package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// TestReplayMovesMatchingDeadLettersBack: dead letters written by the
// framework go back to their original topic, filtered by error text and
// limited in number, with their original headers and a trace of where they
// came from; a dry run writes nothing.
func TestReplayMovesMatchingDeadLettersBack(t *testing.T) {
	b := newTestBroker(t)
	orders := b.createTopic("replay-orders", 1)
	dlq := orders + ".dlq"
	b.createExactTopic(dlq, 2)
	cfg := testConfig(nil)
	cfg.Brokers = b.addrs
	pub := b.startPublisher()
	for i := range 6 {
		reason := "malformed order"
		if i%2 == 0 {
			reason = "timeout talking to billing"
		}
		m := &message.Message{Topic: orders, Offset: int64(i), Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i),
			Headers: []message.Header{{Key: "trace", Value: []byte("t")}}, Attempts: 3}
		if i == 5 {
			// Dead-lettered from the retry topic, after its last round: it
			// names its origin and goes back there without retry headers.
			retry := retryLetter(m, errors.New("busy"), orders+".retry", time.Now())
			m = &retry
			m.Topic, m.Offset = orders+".retry", 40
		}
		letter := deadLetter(m, errors.New(reason), dlq, time.Now())
		if i == 4 {
			// Written by an older version, which kept retry.* headers:
			// replay drops them, or the message would skip its rounds.
			letter.Headers = append(letter.Headers, message.Header{Key: HeaderRetryRound, Value: []byte("2")})
		}
		if err := pub.Publish(context.Background(), letter); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	endOf := func() int64 { _, end := b.committedAndEnd("none", orders, 1); return end[0] }

	sum, err := Replay(ctx, cfg, ReplayOptions{Topic: dlq, FilterError: "timeout", DryRun: true}, nil)
	if err != nil || sum.Scanned != 6 || sum.Matched != 3 || sum.Replayed != 3 || endOf() != 0 {
		t.Fatalf("dry run: %v, %v; original topic end %d", sum, err, endOf())
	}
	var progressed int
	sum, err = Replay(ctx, cfg, ReplayOptions{Topic: dlq, FilterError: "timeout", Limit: 2}, func(ReplaySummary) { progressed++ })
	if err != nil || sum.Replayed != 2 || endOf() != 2 || progressed == 0 {
		t.Fatalf("limited replay: %v, %v; original topic end %d", sum, err, endOf())
	}
	for _, m := range b.readAll(orders, 1) {
		if headerOf(m, "trace") != "t" || headerOf(m, HeaderError) != "" || !strings.HasPrefix(headerOf(m, HeaderReplayedFrom), dlq+"/") {
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
	sum, err = Replay(ctx, cfg, ReplayOptions{Topic: dlq}, nil)
	if err != nil || sum.Replayed != 6 || endOf() != 8 {
		t.Fatalf("full replay: %v, %v; original topic end %d", sum, err, endOf())
	}

	embedded := testConfig(nil)
	if _, err := Replay(ctx, embedded, ReplayOptions{Topic: dlq}, nil); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("replay on the embedded broker: %v", err)
	}
	if _, err := Replay(ctx, cfg, ReplayOptions{}, nil); err == nil || !strings.Contains(err.Error(), "--topic") {
		t.Fatalf("replay without a topic: %v", err)
	}
}

// TestReplayableNeedsADestination: a letter goes back to the topic its
// dlq.original.topic header names, or to --to; a letter with neither is
// never written anywhere (in particular not to a topic named ""): it is
// counted and named. Letters the filter leaves out are not its concern.
func TestReplayableNeedsADestination(t *testing.T) {
	letter := func(offset int64, headers ...kafkago.Header) kafkago.Message {
		return kafkago.Message{Topic: "o.dlq", Partition: 1, Offset: offset, Key: []byte("k"), Value: []byte("v"),
			Headers: append(headers, kafkago.Header{Key: HeaderError, Value: []byte("boom")})}
	}
	origin := kafkago.Header{Key: HeaderTopic, Value: []byte("orders")}
	empty := kafkago.Header{Key: HeaderTopic, Value: []byte{}}
	for _, tt := range []struct {
		name     string
		m        kafkago.Message
		opts     ReplayOptions
		to       string // "": not replayed
		noOrigin []string
	}{
		{name: "its origin", m: letter(3, origin), to: "orders"},
		{name: "--to over its origin", m: letter(3, origin), opts: ReplayOptions{To: "elsewhere"}, to: "elsewhere"},
		{name: "no origin", m: letter(4), noOrigin: []string{"o.dlq/1@4"}},
		{name: "empty origin", m: letter(5, empty), noOrigin: []string{"o.dlq/1@5"}},
		{name: "no origin, --to", m: letter(6), opts: ReplayOptions{To: "elsewhere"}, to: "elsewhere"},
		{name: "no origin, filtered out", m: letter(7), opts: ReplayOptions{FilterError: "other"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var sum ReplaySummary
			out, ok := replayable(tt.m, tt.opts, &sum)
			if ok != (tt.to != "") || out.Topic != tt.to {
				t.Fatalf("replayed %v to %q, want %q", ok, out.Topic, tt.to)
			}
			if sum.NoOrigin != len(tt.noOrigin) || fmt.Sprint(sum.Unreplayable) != fmt.Sprint(tt.noOrigin) {
				t.Fatalf("no origin %d %v, want %v", sum.NoOrigin, sum.Unreplayable, tt.noOrigin)
			}
		})
	}
	// A topic full of such letters names only the first few.
	var sum ReplaySummary
	for i := range 3 * maxNamedUnreplayable {
		replayable(letter(int64(i)), ReplayOptions{}, &sum)
	}
	if sum.NoOrigin != 3*maxNamedUnreplayable || len(sum.Unreplayable) != maxNamedUnreplayable || sum.Unreplayable[0] != "o.dlq/1@0" {
		t.Fatalf("no origin %d, named %v", sum.NoOrigin, sum.Unreplayable)
	}
}

// TestReplayReportsLettersWithoutAnOriginalTopic: a replay replays every
// letter it can, then fails naming those it could not for want of an
// original topic; with --to they go there.
func TestReplayReportsLettersWithoutAnOriginalTopic(t *testing.T) {
	b := newTestBroker(t)
	orders := b.createTopic("replay-noorigin", 1)
	dlq := orders + ".dlq"
	b.createExactTopic(dlq, 1)
	cfg := testConfig(nil)
	cfg.Brokers = b.addrs
	pub := b.startPublisher()
	good := deadLetter(&message.Message{Topic: orders, Offset: 0, Value: []byte("good")}, errBusy, dlq, time.Now())
	handMade := message.Message{Topic: dlq, Value: []byte("hand-made"), Headers: []message.Header{{Key: HeaderError, Value: []byte("boom")}}}
	emptied := message.Message{Topic: dlq, Value: []byte("emptied"), Headers: []message.Header{{Key: HeaderTopic, Value: []byte{}}}}
	for _, l := range []message.Message{handMade, good, emptied} {
		if err := pub.Publish(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	endOf := func(topic string) int64 { _, end := b.committedAndEnd("none", topic, 1); return end[0] }

	for _, dryRun := range []bool{true, false} {
		sum, err := Replay(ctx, cfg, ReplayOptions{Topic: dlq, DryRun: dryRun}, nil)
		if !errors.Is(err, errNoOrigin) || !strings.Contains(err.Error(), "2 matching letters have no dlq.original.topic header ("+dlq+"/0@0, "+dlq+"/0@2); replay them with --to") {
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
	if sum, err := Replay(ctx, cfg, ReplayOptions{Topic: dlq, To: elsewhere}, nil); err != nil || sum.Replayed != 3 || sum.NoOrigin != 0 || endOf(elsewhere) != 3 {
		t.Fatalf("with --to: %v, %v; %d written there", sum, err, endOf(elsewhere))
	}
}
