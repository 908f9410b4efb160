package kafka

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/consumerkit/consumerkit/pkg/kafka/dlq"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// The fuzz targets of the letters' headers: what the engine reads from a
// message on a retry topic (FuzzRetryHeaderDecode: any header values, as a
// hand-made or corrupted message has them) and what it writes to retry and
// dead-letter topics, read back (FuzzLetterHeaderRoundTrip).

// Header presence bits of FuzzRetryHeaderDecode.
const (
	hasRound = 1 << iota
	hasDue
	hasTopic
	hasPartition
	hasOffset
)

// maxDueError bounds the error retryDue returns, whatever the header
// holds: it is logged for every such message.
const maxDueError = 512

// FuzzRetryHeaderDecode: retry.round, retry.due and retry.original.* of
// any value. A round is either the header's positive decimal value or,
// when malformed, round 1 (never 0, never another number); a due time is
// either an RFC 3339 time that formats back to the same instant or an
// error naming the header, of bounded size; the origin is either the three
// retry.original.* headers, when they are Kafka coordinates (a legal topic
// name, a partition in [0, 2^31), an offset >= 0), or the message's own
// coordinates — never a mix, never a negative partition.
func FuzzRetryHeaderDecode(f *testing.F) {
	all := uint8(hasRound | hasDue | hasTopic | hasPartition | hasOffset)
	f.Add(all, "2", "2026-11-01T12:00:00.123456789Z", "orders", "3", "41")
	f.Add(all, "+1", "2026-11-01T12:00:00+02:00", "a.b-c_D", "0", "0")
	f.Add(all, "0", "2026-11-01 12:00:00", "orders", "-1", "41")
	f.Add(all, "-1000000", "", "", "3", "-5")
	f.Add(all, "9223372036854775808", "yesterday", "orders", "2147483648", "9223372036854775807")
	f.Add(all, " 3", "2026-13-01T12:00:00Z", "bad topic", "0x3", "4e3")
	f.Add(all, "1", strings.Repeat("x", 4096), "..", "1", "1")
	// Topics at the edges of what Kafka accepts, and just beyond.
	for _, topic := range []string{"azAZ09._-", strings.Repeat("z", 249), strings.Repeat("Z", 250), ".", "a/b", "a b", "`", "{", "@", "[", "/", ":", "é"} {
		f.Add(uint8(hasTopic|hasPartition|hasOffset), "", "", topic, "1", "2")
	}
	f.Add(uint8(hasTopic|hasPartition), "", "", "orders", "3", "")
	f.Add(uint8(0), "", "", "", "", "")
	f.Fuzz(func(t *testing.T, present uint8, round, due, topic, partition, offset string) {
		m := &message.Message{Topic: "orders.retry", Partition: 7, Offset: 99}
		for _, h := range []struct {
			bit        uint8
			key, value string
		}{
			{hasRound, HeaderRetryRound, round}, {hasDue, HeaderRetryDue, due},
			{hasTopic, HeaderRetryTopic, topic}, {hasPartition, HeaderRetryPartition, partition}, {hasOffset, HeaderRetryOffset, offset},
		} {
			if present&h.bit != 0 {
				m.Headers = append(m.Headers, message.Header{Key: h.key, Value: []byte(h.value)})
			}
		}
		checkRound(t, m, present&hasRound != 0, round)
		checkDue(t, m, present&hasDue != 0, due)

		wantT, wantP, wantO := m.Topic, m.Partition, m.Offset
		p, errP := strconv.ParseInt(partition, 10, 32)
		o, errO := strconv.ParseInt(offset, 10, 64)
		if present&(hasTopic|hasPartition|hasOffset) == hasTopic|hasPartition|hasOffset &&
			kafkaTopic(topic) && errP == nil && p >= 0 && errO == nil && o >= 0 {
			wantT, wantP, wantO = topic, int(p), o
		}
		if gotT, gotP, gotO := origin(m); gotT != wantT || gotP != wantP || gotO != wantO {
			t.Fatalf("origin of retry.original.topic %q, partition %q, offset %q (present %05b) = %q/%d@%d, want %q/%d@%d",
				topic, partition, offset, present, gotT, gotP, gotO, wantT, wantP, wantO)
		}
	})
}

// checkRound: retry.round's reading, from the header's text alone.
func checkRound(t *testing.T, m *message.Message, present bool, v string) {
	t.Helper()
	n, gotPresent, valid := retryRoundHeader(m)
	if gotPresent != present {
		t.Fatalf("retry.round %q: present = %t, want %t", v, gotPresent, present)
	}
	// A positive decimal number, with at most a sign and leading zeros
	// besides its digits, that fits an int.
	digits := strings.TrimLeft(strings.TrimPrefix(v, "+"), "0")
	decimal := digits != "" && strings.Trim(digits, "0123456789") == "" &&
		(len(digits) < len(strconv.Itoa(math.MaxInt)) || len(digits) == len(strconv.Itoa(math.MaxInt)) && digits <= strconv.Itoa(math.MaxInt))
	switch {
	case !present:
		if retryRound(m) != 0 || malformedRound(m) {
			t.Fatalf("no retry.round: round %d, malformed %t; want 0, false", retryRound(m), malformedRound(m))
		}
	case decimal:
		if !valid || strconv.Itoa(n) != digits || retryRound(m) != n || malformedRound(m) {
			t.Fatalf("retry.round %q: read as %d (valid %t), round %d, malformed %t; want %s", v, n, valid, retryRound(m), malformedRound(m), digits)
		}
	default:
		if valid || retryRound(m) != 1 || !malformedRound(m) {
			t.Fatalf("retry.round %q is not a positive number: valid %t, round %d, malformed %t; want round 1, malformed", v, valid, retryRound(m), malformedRound(m))
		}
	}
}

// checkDue: retry.due's reading is an RFC 3339 time or a bounded error
// naming the header.
func checkDue(t *testing.T, m *message.Message, present bool, v string) {
	t.Helper()
	due, err := retryDue(m)
	if err != nil {
		if !strings.Contains(err.Error(), HeaderRetryDue) || len(err.Error()) > maxDueError {
			t.Fatalf("retry.due %q: error of %d bytes %q; want one naming %s in at most %d bytes", capText(v, 80), len(err.Error()), capText(err.Error(), 200), HeaderRetryDue, maxDueError)
		}
		return
	}
	if !present {
		t.Fatalf("no retry.due read as %s", due)
	}
	if back, err := time.Parse(time.RFC3339Nano, due.Format(time.RFC3339Nano)); err != nil || !back.Equal(due) {
		t.Fatalf("retry.due %q read as %s, which is no RFC 3339 time (%v)", v, due, err)
	}
}

// kafkaTopic reports whether name is a topic name Kafka accepts: 1 to 249
// ASCII letters, digits, '.', '_' and '-', other than "." and "..".
func kafkaTopic(name string) bool {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// topicFrom maps any text to a legal topic name, so that every fuzzed
// input names a topic the engine could have consumed.
func topicFrom(s string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 240; i++ {
		b.WriteByte(alphabet[int(s[i])%len(alphabet)])
	}
	return "t" + b.String()
}

// userHeaders parses "key=value" lines into headers, in order; a key may
// be any text, dlq.* and retry.* included.
func userHeaders(s string) []message.Header {
	var out []message.Header
	if s == "" {
		return nil
	}
	for _, line := range strings.Split(s, "\n") {
		k, v, _ := strings.Cut(line, "=")
		out = append(out, message.Header{Key: k, Value: []byte(v)})
	}
	return out
}

// FuzzLetterHeaderRoundTrip: a message the engine consumed — from its
// topic, or from a retry topic with the headers the engine wrote there —
// with any headers of its own, failing with any error. Its retry letter,
// read back as the engine reads a retry topic, is the next round, due when
// it was scheduled, with the same origin; its dead letter's dlq.* headers,
// read as their documentation says (decimal numbers, RFC 3339 times), are
// its origin, its attempts and its failure times. Each letter carries the
// headers it writes once, the message's other headers before them in
// order, its key and value unchanged, and its error text cut to
// MaxErrorHeader bytes, valid UTF-8 when the error was.
func FuzzLetterHeaderRoundTrip(f *testing.F) {
	f.Add("orders", int32(3), int64(41), false, uint16(0), int64(1793534400123456789), "boom", 1, int64(0), int64(0), "trace=abc")
	f.Add("orders", int32(0), int64(0), true, uint16(2), int64(-1), strings.Repeat("é", 400), 5,
		int64(1793534400000000000), int64(1793534460000000001), "retry.round=9\nretry.original.topic=x\ndlq.original.topic=old\ndlq.error=old")
	f.Add("a", int32(math.MaxInt32), int64(math.MaxInt64), true, uint16(math.MaxUint16), int64(math.MinInt64), "", -3,
		int64(math.MinInt64), int64(math.MaxInt64), "=\n\n")
	f.Fuzz(func(t *testing.T, topic string, partition int32, offset int64, fromRetry bool, round uint16, dueNanos int64,
		cause string, attempts int, firstNanos, lastNanos int64, own string) {
		if partition < 0 {
			partition = -(partition + 1)
		}
		if offset < 0 {
			offset = ^offset
		}
		wantT, wantP, wantO := topicFrom(topic), int(partition), offset
		m := &message.Message{Topic: wantT, Partition: wantP, Offset: wantO, Key: []byte("k"), Value: []byte(cause),
			Headers: userHeaders(own), Attempts: attempts}
		if firstNanos != 0 {
			m.FirstFailure, m.LastFailure = time.Unix(0, firstNanos), time.Unix(0, lastNanos)
		}
		wantRound := 0
		if fromRetry {
			// Read from the retry topic: its own coordinates are the retry
			// topic's; where it came from is in the headers the engine wrote.
			prior := retryLetter(m, errors.New("earlier"), wantT+".retry", time.Unix(0, dueNanos))
			wantRound = retryRound(m) + 1
			m = &message.Message{Topic: prior.Topic, Partition: 0, Offset: 5, Key: prior.Key, Value: prior.Value,
				Headers: prior.Headers, Attempts: attempts, FirstFailure: m.FirstFailure, LastFailure: m.LastFailure}
			for range int(round) % 4 {
				next := retryLetter(m, errors.New("again"), m.Topic, time.Unix(0, dueNanos))
				wantRound++
				m.Headers = next.Headers
			}
		}
		if fromRetry && retryRound(m) != wantRound {
			t.Fatalf("round %d read back as %d", wantRound, retryRound(m))
		}
		due := time.Unix(0, dueNanos)
		r := retryLetter(m, errors.New(cause), wantT+".retry", due)
		checkLetter(t, "retry letter", m, r, []string{HeaderRetryRound, HeaderRetryDue, HeaderRetryError, HeaderRetryTopic, HeaderRetryPartition, HeaderRetryOffset}, cause)
		if gotT, gotP, gotO := origin(&r); gotT != wantT || gotP != wantP || gotO != wantO {
			t.Fatalf("retry letter's origin %q/%d@%d, want %q/%d@%d", gotT, gotP, gotO, wantT, wantP, wantO)
		}
		if got := retryRound(&r); got != retryRound(m)+1 || malformedRound(&r) {
			t.Fatalf("retry letter's round %d (malformed %t), want %d", got, malformedRound(&r), retryRound(m)+1)
		}
		if got, err := retryDue(&r); err != nil || !got.Equal(due) {
			t.Fatalf("retry letter due %s (%v), want %s", got, err, due)
		}

		now := time.Unix(1793534400, 0)
		d := deadLetter(m, errors.New(cause), wantT+".dlq", now)
		checkLetter(t, "dead letter", m, d, []string{dlq.HeaderTopic, dlq.HeaderPartition, dlq.HeaderOffset, dlq.HeaderError,
			dlq.HeaderAttempts, dlq.HeaderFirstFailure, dlq.HeaderLastFailure}, cause)
		first, last := m.FirstFailure, m.LastFailure
		if first.IsZero() {
			first, last = now, now
		}
		header := func(key string) string { v, _ := d.Header(key); return string(v) }
		p, errP := strconv.Atoi(header(dlq.HeaderPartition))
		o, errO := strconv.ParseInt(header(dlq.HeaderOffset), 10, 64)
		n, errN := strconv.Atoi(header(dlq.HeaderAttempts))
		ff, errF := time.Parse(time.RFC3339Nano, header(dlq.HeaderFirstFailure))
		lf, errL := time.Parse(time.RFC3339Nano, header(dlq.HeaderLastFailure))
		if header(dlq.HeaderTopic) != wantT || errP != nil || p != wantP || errO != nil || o != wantO {
			t.Fatalf("dead letter's origin %q/%q@%q, want %q/%d@%d", header(dlq.HeaderTopic), header(dlq.HeaderPartition), header(dlq.HeaderOffset), wantT, wantP, wantO)
		}
		if errN != nil || n != max(attempts, 1) {
			t.Fatalf("dead letter's attempts %q, want %d", header(dlq.HeaderAttempts), max(attempts, 1))
		}
		if errF != nil || !ff.Equal(first) || errL != nil || !lf.Equal(last) {
			t.Fatalf("dead letter's failures %q, %q; want %s, %s", header(dlq.HeaderFirstFailure), header(dlq.HeaderLastFailure), first, last)
		}
	})
}

// checkLetter: letter keeps m's key and value, and its headers but the
// retry.* ones and those of written, in order, followed by each of written
// once; its error header is cause cut to MaxErrorHeader bytes.
func checkLetter(t *testing.T, what string, m *message.Message, letter message.Message, written []string, cause string) {
	t.Helper()
	if string(letter.Key) != string(m.Key) || string(letter.Value) != string(m.Value) {
		t.Fatalf("%s: key %q value %q, want %q %q", what, letter.Key, letter.Value, m.Key, m.Value)
	}
	var kept []message.Header
	for _, h := range m.Headers {
		if !strings.HasPrefix(h.Key, "retry.") && !slices.Contains(written, h.Key) {
			kept = append(kept, h)
		}
	}
	if len(letter.Headers) != len(kept)+len(written) {
		t.Fatalf("%s: %d headers %q; want the message's %d others then %q", what, len(letter.Headers), letter.Headers, len(kept), written)
	}
	for i, h := range kept {
		if letter.Headers[i].Key != h.Key || string(letter.Headers[i].Value) != string(h.Value) {
			t.Fatalf("%s: header %d is %q, want the message's %q", what, i, letter.Headers[i], h)
		}
	}
	for i, key := range written {
		if got := letter.Headers[len(kept)+i].Key; got != key {
			t.Fatalf("%s: header %d is %q, want %q", what, len(kept)+i, got, key)
		}
	}
	errText := string(letter.Headers[len(kept)+indexOfError(written)].Value)
	if errText != capText(cause, MaxErrorHeader) || len(errText) > MaxErrorHeader || utf8.ValidString(cause) && !utf8.ValidString(errText) {
		t.Fatalf("%s: error header %q of %d bytes; want the error cut to %d bytes", what, capText(errText, 80), len(errText), MaxErrorHeader)
	}
}

func indexOfError(written []string) int {
	return slices.IndexFunc(written, func(k string) bool { return k == HeaderRetryError || k == dlq.HeaderError })
}
