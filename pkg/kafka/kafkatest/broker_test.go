package kafkatest

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// TestProduceToAChosenPartitionAndReadItBack: messages go to the partition
// asked for, at consecutive offsets, and come back from ReadTopic with
// their key, value, headers and time; the end offsets say where each
// partition ends.
func TestProduceToAChosenPartitionAndReadItBack(t *testing.T) {
	b := Start(t, 3, "orders")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	msg := func(i int) message.Message {
		return message.Message{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i)), Time: at.Add(time.Duration(i) * time.Second),
			Headers: []message.Header{{Key: "trace", Value: []byte(fmt.Sprint(i))}}}
	}
	if first := b.Produce("orders", 2, msg(0), msg(1), msg(2)); first != 0 {
		t.Fatalf("first offset %d, want 0", first)
	}
	if first := b.Produce("orders", 2, msg(3)); first != 3 {
		t.Fatalf("first offset of the second produce %d, want 3", first)
	}
	b.Produce("orders", 0, msg(4))
	if end := b.EndOffsets("orders"); !maps.Equal(end, map[int]int64{0: 1, 1: 0, 2: 4}) {
		t.Fatalf("end offsets %v, want 0:1 1:0 2:4", end)
	}
	got := b.ReadTopic("orders")
	want := []struct {
		partition int
		offset    int64
		i         int
	}{{0, 0, 4}, {2, 0, 0}, {2, 1, 1}, {2, 2, 2}, {2, 3, 3}}
	if len(got) != len(want) {
		t.Fatalf("read %d messages, want %d: %v", len(got), len(want), got)
	}
	for j, w := range want {
		m, exp := got[j], msg(w.i)
		h, _ := m.Header("trace")
		if m.Topic != "orders" || m.Partition != w.partition || m.Offset != w.offset || string(m.Key) != string(exp.Key) ||
			string(m.Value) != string(exp.Value) || string(h) != fmt.Sprint(w.i) || !m.Time.Equal(exp.Time) {
			t.Errorf("message %d: %s/%d@%d key %s value %s trace %s time %s; want orders/%d@%d %s %s %d %s",
				j, m.Topic, m.Partition, m.Offset, m.Key, m.Value, h, m.Time, w.partition, w.offset, exp.Key, exp.Value, w.i, exp.Time)
		}
	}
}

// TestCommittedReadsWhatAGroupCommitted: partitions a group committed show
// its offset, the others -1.
func TestCommittedReadsWhatAGroupCommitted(t *testing.T) {
	b := Start(t, 3, "orders")
	b.Produce("orders", 1, message.Message{Value: []byte("a")}, message.Message{Value: []byte("b")})
	if got := b.Committed("billing", "orders"); !maps.Equal(got, map[int]int64{0: -1, 1: -1, 2: -1}) {
		t.Fatalf("committed before any commit: %v, want -1 everywhere", got)
	}
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(b.Addrs()...), Transport: tr}
	res, err := client.OffsetCommit(context.Background(), &kafkago.OffsetCommitRequest{GroupID: "billing", GenerationID: -1,
		Topics: map[string][]kafkago.OffsetCommit{"orders": {{Partition: 1, Offset: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Topics["orders"] {
		if p.Error != nil {
			t.Fatal(p.Error)
		}
	}
	if got := b.Committed("billing", "orders"); !maps.Equal(got, map[int]int64{0: -1, 1: 2, 2: -1}) {
		t.Fatalf("committed %v, want 1:2 and -1 elsewhere", got)
	}
}

// TestCreateTopicWaitsForLeaders: a created topic is usable at once.
func TestCreateTopicWaitsForLeaders(t *testing.T) {
	b := Start(t, 1)
	b.CreateTopic("payments", 2)
	b.Produce("payments", 1, message.Message{Value: []byte("p")})
	if end := b.EndOffsets("payments"); !maps.Equal(end, map[int]int64{0: 0, 1: 1}) {
		t.Fatalf("end offsets %v, want 0:0 1:1", end)
	}
}

// recorder is a TB that records failures and runs cleanups on demand.
type recorder struct {
	mu       sync.Mutex
	fails    []string
	cleanups []func()
}

func (r *recorder) Helper()                           {}
func (r *recorder) Errorf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }
func (r *recorder) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }
func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fails = append(r.fails, s)
}

func (r *recorder) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// TestBrokerCallsFailTheTestOnMistakes: a topic that does not exist, or a
// partition it does not have, fails the test naming it.
func TestBrokerCallsFailTheTestOnMistakes(t *testing.T) {
	r := &recorder{}
	defer r.cleanup()
	b := Start(r, 2, "orders")
	b.ReadTopic("nope")
	b.Produce("orders", 5, message.Message{Value: []byte("x")})
	b.Committed("g", "nope")
	if len(r.fails) != 3 || !strings.HasPrefix(r.fails[0], "kafkatest: partitions of nope: ") ||
		!strings.HasPrefix(r.fails[1], "kafkatest: produce 1 messages to orders/5: ") ||
		!strings.HasPrefix(r.fails[2], "kafkatest: partitions of nope: ") {
		t.Fatalf("failures %q, want three naming what was wrong", r.fails)
	}
}
