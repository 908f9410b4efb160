package dlq

import (
	"errors"
	"fmt"
	"testing"

	kafkago "github.com/segmentio/kafka-go"
)

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

func TestTemporaryLooksInsideWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"retriable", fmt.Errorf("write: %w", kafkago.UnknownTopicOrPartition), true},
		{"fatal", kafkago.MessageSizeTooLarge, false},
		{"batch of retriable", kafkago.WriteErrors{nil, kafkago.LeaderNotAvailable, kafkago.UnknownTopicOrPartition}, true},
		{"batch with a fatal one", kafkago.WriteErrors{kafkago.LeaderNotAvailable, kafkago.MessageSizeTooLarge}, false},
		{"not kafka", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := temporary(tt.err); got != tt.want {
				t.Fatalf("temporary(%v) = %v", tt.err, got)
			}
		})
	}
}
