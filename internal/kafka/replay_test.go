package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/internal/message"
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
