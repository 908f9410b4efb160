package kafka

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestRetryRoundOfAMalformedHeaderCountsAsRoundOne: a retry.round that is
// not a positive number counts as round 1, so a bad header can neither
// skip the remaining rounds nor grant more than the configured ones.
func TestRetryRoundOfAMalformedHeaderCountsAsRoundOne(t *testing.T) {
	for _, tt := range []struct {
		header    []byte // nil: no header
		round     int
		malformed bool
	}{
		{nil, 0, false},
		{[]byte("1"), 1, false},
		{[]byte("3"), 3, false},
		{[]byte("+2"), 2, false},
		{[]byte("0"), 1, true},
		{[]byte("-1000000"), 1, true},
		{[]byte("two"), 1, true},
		{[]byte(""), 1, true},
		{[]byte("2.5"), 1, true},
		{[]byte("99999999999999999999999"), 1, true},
	} {
		m := &message.Message{}
		if tt.header != nil {
			m.Headers = []message.Header{{Key: HeaderRetryRound, Value: tt.header}}
		}
		if got := retryRound(m); got != tt.round {
			t.Errorf("retry.round %q: round %d, want %d", tt.header, got, tt.round)
		}
		if got := malformedRound(m); got != tt.malformed {
			t.Errorf("retry.round %q: malformed %v, want %v", tt.header, got, tt.malformed)
		}
	}
}

// TestMalformedRetryRoundsEndWithinTheConfiguredRounds: a message failing
// on the retry topic is rescheduled to the next round while rounds are
// left and dead-lettered after the last; a malformed round is taken as
// round 1, never as a count that grants extra rounds.
func TestMalformedRetryRoundsEndWithinTheConfiguredRounds(t *testing.T) {
	for _, tt := range []struct {
		round     string
		nextRound string // "": dead-lettered
	}{
		{"1", "2"},
		{"2", "3"},
		{"3", ""},
		{"7", ""},
		{"-1000000", "2"},
		{"0", "2"},
		{"soon", "2"},
	} {
		t.Run(tt.round, func(t *testing.T) {
			handlers := registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return errBusy }))
			r := newRigOn(t, testConfig(nil), onRetryTopic(time.Second), handlers, "t.retry")
			letter := retryLetter(&message.Message{Topic: "t", Offset: 7, Value: []byte("x")}, errBusy, "t.retry", time.Now())
			letter = withHeader(letter, HeaderRetryRound, []byte(tt.round))
			letter.Offset = 0
			r.deliver(&letter)
			got := r.letters.letters()
			if len(got) != 1 {
				t.Fatalf("%d letters", len(got))
			}
			if tt.nextRound == "" {
				if got[0].Topic != "t.dlq" || r.outcome(delivery.OutcomeDeadLettered) != 1 {
					t.Fatalf("round %s of 3: letter to %s; want the dead-letter topic", tt.round, got[0].Topic)
				}
				return
			}
			next, _ := got[0].Header(HeaderRetryRound)
			if got[0].Topic != "t.retry" || string(next) != tt.nextRound || r.outcome(delivery.OutcomeRescheduled) != 1 {
				t.Fatalf("round %s of 3: letter to %s, round %q; want t.retry, round %s", tt.round, got[0].Topic, next, tt.nextRound)
			}
		})
	}
}

// TestMalformedRetryRoundIsNamed: the worker warns, naming the offset and
// the header, when a retry-topic message's round is malformed.
func TestMalformedRetryRoundIsNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls callTimes
		r := runPartition(t, testConfig(nil), onRetryTopic(time.Second), registry.Empty().Add("h", calls.handler()), "t.retry")
		good := retryLetter(&message.Message{Topic: "t", Offset: 6, Value: []byte("x")}, errBusy, "t.retry", time.Now())
		bad := withHeader(good, HeaderRetryRound, []byte("-1000000"))
		r.feed(asFetched(good, 0), asFetched(bad, 1))
		synctest.Wait()
		warnings := r.logs.FilterMessageSnippet("retry.round").All()
		if len(warnings) != 1 || warnings[0].ContextMap()["offset"] != int64(1) || warnings[0].ContextMap()["retry_round"] != "-1000000" {
			t.Fatalf("warnings %v; want one naming offset 1 and its header", warnings)
		}
		if r.outcome(delivery.OutcomeSuccess) != 2 {
			t.Fatalf("success %d, want 2: a malformed round is handled like any other", r.outcome(delivery.OutcomeSuccess))
		}
	})
}
