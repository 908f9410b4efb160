package kafka

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// The headers of a message on a retry topic. The retry.original.* headers
// name where the message was first consumed, across every round.
const (
	HeaderRetryRound     = "retry.round"
	HeaderRetryDue       = "retry.due"
	HeaderRetryError     = "retry.error"
	HeaderRetryTopic     = "retry.original.topic"
	HeaderRetryPartition = "retry.original.partition"
	HeaderRetryOffset    = "retry.original.offset"
)

// MaxErrorHeader bounds the error text a letter carries. What the
// framework adds to a letter is bounded (about 1 KiB with the longest
// topic name), so a message that fit its source topic fits a dead-letter
// or retry topic whose limit is 1 KiB higher; the full error, a panic's
// stack included, goes to the log.
const MaxErrorHeader = 512

// origin is where a message was first consumed: its retry.original.*
// headers when it comes from a retry topic and they are Kafka coordinates
// (a legal topic name, a partition and an offset that are not negative),
// else its own coordinates. A hand-made or corrupted header never makes a
// letter name a place no message came from (a partition of -1, a topic
// that a replay could not write to).
func origin(m *message.Message) (topic string, partition int, offset int64) {
	t, okT := m.Header(HeaderRetryTopic)
	p, okP := m.Header(HeaderRetryPartition)
	o, okO := m.Header(HeaderRetryOffset)
	if okT && okP && okO && legalTopic(string(t)) {
		pn, errP := strconv.ParseInt(string(p), 10, 32)
		on, errO := strconv.ParseInt(string(o), 10, 64)
		if errP == nil && errO == nil && pn >= 0 && on >= 0 {
			return string(t), int(pn), on
		}
	}
	return m.Topic, m.Partition, m.Offset
}

// legalTopic reports whether Kafka accepts name as a topic: 1 to 249 ASCII
// letters, digits, '.', '_' and '-', but not "." or "..".
func legalTopic(name string) bool {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for i := range len(name) {
		if c := name[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// letterHeaders returns the headers of a letter of a message with
// headers: the message's own without the retry.* ones (a letter starts its
// rounds afresh) and without any of a name the letter writes, then
// written. So each header the letter writes is there once, and a reader
// that takes the first of a name (message.Message.Header, most tools)
// reads the letter's own, never one the message came with (as the dead
// letters of a handler that consumes a dead-letter topic would).
func letterHeaders(headers, written []message.Header) []message.Header {
	out := make([]message.Header, 0, len(headers)+len(written))
	for _, h := range headers {
		if strings.HasPrefix(h.Key, "retry.") || slices.ContainsFunc(written, func(w message.Header) bool { return w.Key == h.Key }) {
			continue
		}
		out = append(out, h)
	}
	return append(out, written...)
}

// deadLetter builds the dead letter of m for topic: the same key and value,
// the original headers (see letterHeaders: without retry.* ones, a
// replayed letter starts afresh), and headers saying where it was first
// consumed, why it failed (capped at MaxErrorHeader), how often it was
// tried and when.
func deadLetter(m *message.Message, cause error, topic string, now time.Time) message.Message {
	first, last := m.FirstFailure, m.LastFailure
	if first.IsZero() {
		first, last = now, now
	}
	t, p, o := origin(m)
	headers := letterHeaders(m.Headers, []message.Header{
		{Key: dlq.HeaderTopic, Value: []byte(t)},
		{Key: dlq.HeaderPartition, Value: []byte(strconv.Itoa(p))},
		{Key: dlq.HeaderOffset, Value: []byte(strconv.FormatInt(o, 10))},
		{Key: dlq.HeaderError, Value: []byte(capText(cause.Error(), MaxErrorHeader))},
		{Key: dlq.HeaderAttempts, Value: []byte(strconv.Itoa(max(m.Attempts, 1)))},
		{Key: dlq.HeaderFirstFailure, Value: []byte(first.UTC().Format(time.RFC3339Nano))},
		{Key: dlq.HeaderLastFailure, Value: []byte(last.UTC().Format(time.RFC3339Nano))},
	})
	return message.Message{Topic: topic, Key: m.Key, Value: m.Value, Headers: headers}
}

// retryLetter builds m's letter for the next round on the retry topic,
// due at due.
func retryLetter(m *message.Message, cause error, topic string, due time.Time) message.Message {
	t, p, o := origin(m)
	headers := letterHeaders(m.Headers, []message.Header{
		{Key: HeaderRetryRound, Value: []byte(strconv.Itoa(retryRound(m) + 1))},
		{Key: HeaderRetryDue, Value: []byte(due.UTC().Format(time.RFC3339Nano))},
		{Key: HeaderRetryError, Value: []byte(capText(cause.Error(), MaxErrorHeader))},
		{Key: HeaderRetryTopic, Value: []byte(t)},
		{Key: HeaderRetryPartition, Value: []byte(strconv.Itoa(p))},
		{Key: HeaderRetryOffset, Value: []byte(strconv.FormatInt(o, 10))},
	})
	return message.Message{Topic: topic, Key: m.Key, Value: m.Value, Headers: headers}
}

// retryRound returns how many rounds m has been through a retry topic: 0
// without a retry.round header. A header that is not a positive number
// (hand-made, corrupted) counts as round 1, the least a message on a retry
// topic has been through: a bad header can neither skip the remaining
// rounds nor grant more than the configured ones (a round of -1000000
// would otherwise grant a million).
func retryRound(m *message.Message) int {
	n, present, valid := retryRoundHeader(m)
	if !present {
		return 0
	}
	if !valid {
		return 1
	}
	return n
}

// malformedRound reports whether m carries a retry.round header that
// retryRound cannot take as it is.
func malformedRound(m *message.Message) bool {
	_, present, valid := retryRoundHeader(m)
	return present && !valid
}

// retryRoundHeader reads m's retry.round header: whether it is there, and
// whether it is a positive number n.
func retryRoundHeader(m *message.Message) (n int, present, valid bool) {
	v, ok := m.Header(HeaderRetryRound)
	if !ok {
		return 0, false, false
	}
	n, err := strconv.Atoi(string(v))
	return n, true, err == nil && n >= 1
}

// retryDue returns when m, read from a retry topic, may be tried again, or
// an error saying why its retry.due header cannot tell.
func retryDue(m *message.Message) (time.Time, error) {
	v, ok := m.Header(HeaderRetryDue)
	if !ok {
		return time.Time{}, fmt.Errorf("no %s header", HeaderRetryDue)
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		// time's error quotes the whole value, as long as a message may
		// be, into a warning logged for every such message: the cut value
		// says enough.
		return time.Time{}, fmt.Errorf("%s header %q is not an RFC 3339 time such as 2026-11-01T12:00:00Z", HeaderRetryDue, capText(string(v), 64))
	}
	return t, nil
}

// capText returns s cut to at most n bytes on a rune boundary, marked as
// cut.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "… (cut)"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
