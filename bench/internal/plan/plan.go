// Package plan says what the benchmark suite runs: its workloads (a
// topic's shape, the contenders that consume it, the baselines they are
// divided by), at full size or at the quick smoke test's, and the order
// the contenders run in each round.
package plan

import (
	"fmt"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/topics"
)

// Kcat is the contender name of kcat (librdkafka), run by the runner
// itself rather than as a Go contender process.
const Kcat = "kcat"

// Entry is one contender of a workload.
type Entry struct {
	Contender string `json:"contender"`
	// Label names it in tables and the chart.
	Label   string `json:"label"`
	Workers int    `json:"workers,omitempty"`
}

// Workload is a topic and the contenders that consume it.
type Workload struct {
	Name  string       `json:"name"`
	Title string       `json:"title"`
	Shape topics.Shape `json:"shape"`
	// Kind is "throughput" or "scaling" (which the report shows with
	// goroutines, sockets and memory).
	Kind         string        `json:"kind"`
	HandlerDelay time.Duration `json:"handler_delay"`
	Contenders   []Entry       `json:"contenders"`
	// Baselines are the contenders every other is divided by, round by
	// round; the first is the main one.
	Baselines []string `json:"baselines"`
}

// Sizes are the message counts of one plan: the full suite's or the
// quick smoke test's.
type Sizes struct {
	Small, Large, Key, Scaling int64
	ScalingPartitions          []int
}

// FullSizes are the workloads: 1,000,000 × 200 B and 200,000 ×
// 4 KiB on 12 partitions, 10,000 messages for key ordering, 200,000
// messages spread over 1, 12, 96 and 384 partitions.
var FullSizes = Sizes{Small: 1_000_000, Large: 200_000, Key: 10_000, Scaling: 200_000, ScalingPartitions: []int{1, 12, 96, 384}}

// QuickSizes are small enough for a CI smoke test of every contender and
// workload in a few minutes; their figures mean nothing.
var QuickSizes = Sizes{Small: 20_000, Large: 4_000, Key: 1_000, Scaling: 10_000, ScalingPartitions: []int{1, 12, 96, 384}}

// throughputContenders are the contenders of the two 12-partition
// workloads.
func throughputContenders() []Entry {
	return []Entry{
		{Contender: "consumerkit-partition", Label: "consumerkit, partition ordering"},
		{Contender: "consumerkit-session", Label: "consumerkit, partition ordering, session fetcher"},
		{Contender: "consumerkit-key", Label: "consumerkit, key ordering (8 workers)", Workers: 8},
		{Contender: "consumerkit-batch", Label: "consumerkit, batch handler (500, 100ms)"},
		{Contender: "kafka-go", Label: "plain kafka-go group Reader (FetchMessage, commit every 1 s)"},
		{Contender: "franz-go", Label: "franz-go kgo group"},
		{Contender: "sarama", Label: "IBM/sarama ConsumerGroup"},
		{Contender: "watermill-kafka", Label: "watermill-kafka v3"},
		{Contender: Kcat, Label: "kcat (librdkafka), reference"},
	}
}

// Plan returns the workloads of one run with sizes s; topic names carry
// the shape, so a topic is reused only by a plan of the same shape.
func Plan(s Sizes) []Workload {
	name := func(kind string, parts int, n int64) string {
		return fmt.Sprintf("bench-peers-%s-%dp-%d", kind, parts, n)
	}
	ws := []Workload{
		{Name: "200B", Title: fmt.Sprintf("12 partitions, %s × 200 B, no-op handler", Count(s.Small)), Kind: "throughput",
			Shape:      topics.Shape{Name: name("200b", 12, s.Small), Partitions: 12, N: s.Small, ValueBytes: 200, Keys: 1000},
			Contenders: throughputContenders(), Baselines: []string{"kafka-go"}},
		{Name: "4KiB", Title: fmt.Sprintf("12 partitions, %s × 4 KiB, no-op handler", Count(s.Large)), Kind: "throughput",
			Shape:      topics.Shape{Name: name("4kib", 12, s.Large), Partitions: 12, N: s.Large, ValueBytes: 4096, Keys: 1000},
			Contenders: throughputContenders(), Baselines: []string{"kafka-go"}},
		{Name: "key-ordering", Title: fmt.Sprintf("key ordering: 1 partition, %s × 200 B, 500 keys, 2 ms handler", Count(s.Key)), Kind: "throughput",
			Shape:        topics.Shape{Name: name("key", 1, s.Key), Partitions: 1, N: s.Key, ValueBytes: 200, Keys: 500},
			HandlerDelay: 2 * time.Millisecond,
			Contenders: []Entry{
				{Contender: "consumerkit-key", Label: "consumerkit, key ordering (64 workers)", Workers: 64},
				{Contender: "consumerkit-partition", Label: "consumerkit, partition ordering"},
				{Contender: "franz-go-keypool", Label: "franz-go, hand-rolled per-key pool (64 workers)", Workers: 64},
			},
			Baselines: []string{"franz-go-keypool", "consumerkit-partition"}},
	}
	for _, p := range s.ScalingPartitions {
		ws = append(ws, Workload{
			Name: fmt.Sprintf("scale-%d", p), Title: fmt.Sprintf("%s, %s × 200 B, no-op handler", partitions(p), Count(s.Scaling)), Kind: "scaling",
			Shape: topics.Shape{Name: name("scale", p, s.Scaling), Partitions: p, N: s.Scaling, ValueBytes: 200, Keys: 1000},
			Contenders: []Entry{
				{Contender: "consumerkit-partition", Label: "consumerkit, partition ordering"},
				{Contender: "consumerkit-session", Label: "consumerkit, session fetcher"},
				{Contender: "kafka-go", Label: "plain kafka-go group Reader"},
				{Contender: "franz-go", Label: "franz-go kgo group"},
			},
			Baselines: []string{"kafka-go"}})
	}
	return ws
}

// Rotated returns entries in round r's order: rotated left by r, so that
// over as many rounds as there are entries each runs once in every
// position (first after another workload, last before the next).
func Rotated(entries []Entry, r int) []Entry {
	n := len(entries)
	out := make([]Entry, 0, n)
	for i := range n {
		out = append(out, entries[(i+r)%n])
	}
	return out
}

// partitions writes "1 partition", "12 partitions".
func partitions(n int) string {
	if n == 1 {
		return "1 partition"
	}
	return fmt.Sprintf("%d partitions", n)
}

// Count writes n with thousands separators: 1,000,000.
func Count(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
