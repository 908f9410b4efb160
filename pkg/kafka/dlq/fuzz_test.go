package dlq

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	kafkago "github.com/segmentio/kafka-go"
)

// FuzzReplayFilter: `consumer dlq replay`'s choice of each letter, with
// any headers (the engine's, hand-made ones, several of a name), any
// --filter-error and any --to. A letter matches when the filter is empty
// or its error contains the filter; its error and origin are its last
// dlq.error and dlq.original.topic (the engine appends its own after the
// message's headers). A match goes to --to, else to its origin, with its
// key, value and headers but the dlq.* and retry.* ones, in order, plus
// one dlq.replayed.from naming the letter; a match with neither
// destination is counted and, among the first maxNamedUnreplayable, named.
// The summary counts nothing else.
func FuzzReplayFilter(f *testing.F) {
	f.Add("orders", true, "decode order: unexpected EOF", true, "trace=abc", false, "decode", "", int32(1), int64(41), 0)
	f.Add("orders", true, "boom", true, "", false, "other", "", int32(0), int64(0), 3)
	f.Add("", true, "boom", true, "", false, "", "", int32(2), int64(7), 9)
	f.Add("", false, "", false, "dlq.original.topic=old\ndlq.error=older", true, "", "elsewhere", int32(3), int64(8), 10)
	f.Add("orders", true, "x", true, "retry.round=2\nretry.original.topic=o\ndlq.replayed.from=o.dlq/0@1\nk=v\nk=w", false, "", "", int32(0), int64(1), 0)
	f.Add("orders", false, "", false, "", false, "", "", int32(-1), int64(-1), -1)
	f.Fuzz(func(t *testing.T, origin string, hasOrigin bool, reason string, hasReason bool, own string, ownLast bool,
		filter, to string, partition int32, offset int64, prior int) {
		var engine, theirs []kafkago.Header
		if hasOrigin {
			engine = append(engine, kafkago.Header{Key: HeaderTopic, Value: []byte(origin)})
		}
		if hasReason {
			engine = append(engine, kafkago.Header{Key: HeaderError, Value: []byte(reason)})
		}
		if own != "" {
			for _, line := range strings.Split(own, "\n") {
				k, v, _ := strings.Cut(line, "=")
				theirs = append(theirs, kafkago.Header{Key: k, Value: []byte(v)})
			}
		}
		headers := append(slices.Clone(theirs), engine...)
		if ownLast {
			headers = append(slices.Clone(engine), theirs...)
		}
		m := kafkago.Message{Topic: "orders.dlq", Partition: int(partition), Offset: offset, Key: []byte("k"), Value: []byte(reason), Headers: headers}

		// A summary part way through a replay.
		prior = max(prior%(3*maxNamedUnreplayable), 0)
		before := ReplaySummary{Scanned: prior + 5, Matched: prior + 1, Replayed: 1, NoOrigin: prior}
		for i := range min(prior, maxNamedUnreplayable) {
			before.Unreplayable = append(before.Unreplayable, fmt.Sprintf("orders.dlq/0@%d", i))
		}
		sum := before
		sum.Unreplayable = slices.Clone(before.Unreplayable)
		opts := ReplayOptions{Topic: "orders.dlq", To: to, FilterError: filter}
		out, ok := replayable(m, opts, &sum)

		last := func(key string) string {
			v := ""
			for _, h := range headers {
				if h.Key == key {
					v = string(h.Value)
				}
			}
			return v
		}
		if filter != "" && !strings.Contains(last(HeaderError), filter) {
			if ok || !summaryEqual(sum, before) {
				t.Fatalf("error %q, filter %q: replayed %t, summary %+v; want no match, summary %+v", last(HeaderError), filter, ok, sum, before)
			}
			return
		}
		want := before
		want.Matched++
		dest := to
		if dest == "" {
			dest = last(HeaderTopic)
		}
		name := fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset)
		if dest == "" {
			want.NoOrigin++
			if len(want.Unreplayable) < maxNamedUnreplayable {
				want.Unreplayable = append(slices.Clone(want.Unreplayable), name)
			}
			if ok || !summaryEqual(sum, want) {
				t.Fatalf("no destination: replayed %t to %q, summary %+v; want not replayed, summary %+v", ok, out.Topic, sum, want)
			}
			return
		}
		if !ok || out.Topic != dest || !summaryEqual(sum, want) {
			t.Fatalf("replayed %t to %q, summary %+v; want to %q, summary %+v", ok, out.Topic, sum, dest, want)
		}
		if string(out.Key) != string(m.Key) || string(out.Value) != string(m.Value) {
			t.Fatalf("key %q value %q, want %q %q", out.Key, out.Value, m.Key, m.Value)
		}
		var kept []kafkago.Header
		for _, h := range headers {
			if !strings.HasPrefix(h.Key, "dlq.") && !strings.HasPrefix(h.Key, "retry.") {
				kept = append(kept, h)
			}
		}
		kept = append(kept, kafkago.Header{Key: HeaderReplayedFrom, Value: []byte(name)})
		if fmt.Sprintf("%q", out.Headers) != fmt.Sprintf("%q", kept) {
			t.Fatalf("headers %q, want %q", out.Headers, kept)
		}
		from := string(out.Headers[len(out.Headers)-1].Value)
		at := strings.LastIndex(from, "@")
		slash := strings.LastIndex(from[:max(at, 0)], "/")
		p, errP := strconv.Atoi(from[slash+1 : max(at, slash+1)])
		o, errO := strconv.ParseInt(from[at+1:], 10, 64)
		if at < 0 || slash < 0 || from[:slash] != m.Topic || errP != nil || p != m.Partition || errO != nil || o != m.Offset {
			t.Fatalf("%s %q does not read back as %s", HeaderReplayedFrom, from, name)
		}
	})
}

func summaryEqual(a, b ReplaySummary) bool {
	return a.String() == b.String() && a.Replayed == b.Replayed && slices.Equal(a.Unreplayable, b.Unreplayable)
}
