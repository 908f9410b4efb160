// Package contender holds the consumers the benchmark suite compares,
// each run alone in its own process (`benchpeers consume`): consumerkit
// through its public packages (partition ordering, key ordering, a batch
// handler), a plain kafka-go group Reader, a franz-go group client, an
// IBM/sarama ConsumerGroup, a watermill-kafka subscriber, and a
// hand-rolled franz-go per-key worker pool. Every one consumes a topic
// from the start as a fresh group, calls the same Stopwatch for each
// message, commits as it would in production (every second), and stops
// after the n-th message with its final commit, so that the runner can
// check the group's committed offsets against the topic's end.
package contender

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/probe"
)

// CommitInterval is how often every contender commits: committing more
// often costs more, so all must match.
const CommitInterval = time.Second

// Spec is what one contender process is asked to do.
type Spec struct {
	Contender string   `json:"contender"`
	Brokers   []string `json:"brokers"`
	Topic     string   `json:"topic"`
	Group     string   `json:"group"`
	// N is how many messages the topic holds: the contender stops after
	// the N-th.
	N int64 `json:"n"`
	// HandlerDelay is how long each message's handling sleeps (the
	// key-ordering workload's 2ms); zero is a no-op handler.
	HandlerDelay time.Duration `json:"handler_delay"`
	// Workers is the worker count of the contenders that have one
	// (consumerkit key ordering, the franz-go per-key pool).
	Workers int `json:"workers"`
	// Timeout bounds the whole run, start-up and shutdown included.
	Timeout time.Duration `json:"timeout"`
}

// Report is what a contender process measured of itself.
type Report struct {
	// Count is every message handled.
	Count int64 `json:"count"`
	// Measured is how many messages the span from FirstNs to LastNs
	// holds, both ends counted: all of them for a Go contender, which
	// times its first and n-th message itself.
	Measured int64 `json:"measured"`
	FirstNs  int64 `json:"first_ns"`
	LastNs   int64 `json:"last_ns"`
	// StartNs is when the runner started the process (set by the
	// runner, on the same clock as FirstNs and LastNs).
	StartNs int64 `json:"start_ns"`
	// First and Last are samples at the first and the n-th message (CPU
	// per message is Last.CPUTicks - First.CPUTicks over the messages
	// between); Half is half way, when the contender runs at full speed.
	First probe.Sample `json:"first"`
	Half  probe.Sample `json:"half"`
	Last  probe.Sample `json:"last"`
	// Goroutines half way; -1 for a process that is not Go (kcat).
	Goroutines int `json:"goroutines"`
}

// consumeFunc consumes spec.Topic as spec.Group, marking sw for each
// message handled, until sw is done; then it commits what it handled and
// closes its client before it returns.
type consumeFunc func(ctx context.Context, spec Spec, sw *Stopwatch) error

// all are the contenders by name, as Spec.Contender names them.
func all() map[string]consumeFunc {
	return map[string]consumeFunc{
		"consumerkit-partition": consumerkitPartition,
		"consumerkit-session":   consumerkitSession,
		"consumerkit-key":       consumerkitKey,
		"consumerkit-batch":     consumerkitBatch,
		"kafka-go":              kafkaGoReader,
		"franz-go":              franzGo,
		"franz-go-keypool":      franzGoKeyPool,
		"sarama":                saramaGroup,
		"watermill-kafka":       watermillKafka,
	}
}

// Names lists the contenders this package runs in process, sorted.
func Names() []string {
	names := make([]string, 0, len(all()))
	for n := range all() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Run runs spec's contender in this process and returns what it
// measured: it samples the process at the first message, half way and
// the n-th, and returns once the contender has committed and closed.
func Run(ctx context.Context, spec Spec, pid int) (Report, error) {
	consume, ok := all()[spec.Contender]
	if !ok {
		return Report{}, fmt.Errorf("unknown contender %q (have %s)", spec.Contender, strings.Join(Names(), ", "))
	}
	if spec.N < 2 {
		return Report{}, fmt.Errorf("contender %s: n is %d, need at least 2", spec.Contender, spec.N)
	}
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	sw := NewStopwatch(spec.N)
	consumed := make(chan error, 1)
	go func() { consumed <- consume(ctx, spec, sw) }()
	r, err := observe(ctx, pid, sw, consumed)
	if err != nil {
		cancel()
		return Report{}, fmt.Errorf("contender %s: %w (%d of %d messages)", spec.Contender, err, sw.Count(), spec.N)
	}
	if err := <-consumed; err != nil {
		return Report{}, fmt.Errorf("contender %s: %w", spec.Contender, err)
	}
	r.Count, r.Measured = sw.Count(), spec.N
	return r, nil
}

// observe samples process pid when sw reaches its first message, its
// half and its end, unless consume returns or ctx ends before.
func observe(ctx context.Context, pid int, sw *Stopwatch, consumed <-chan error) (Report, error) {
	var r Report
	var err error
	wait := func(ch <-chan struct{}) error {
		select {
		case <-ch:
			return nil
		case err := <-consumed:
			if err == nil {
				err = fmt.Errorf("consumer returned early")
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("timed out: %w", ctx.Err())
		}
	}
	if err = wait(sw.First()); err != nil {
		return r, err
	}
	if r.First, err = probe.Read(pid); err != nil {
		return r, err
	}
	if err = wait(sw.Half()); err != nil {
		return r, err
	}
	r.Goroutines = runtime.NumGoroutine()
	if r.Half, err = probe.Read(pid); err != nil {
		return r, err
	}
	if err = wait(sw.Done()); err != nil {
		return r, err
	}
	if r.Last, err = probe.Read(pid); err != nil {
		return r, err
	}
	r.FirstNs, r.LastNs = sw.Span()
	return r, nil
}

// handle is the work every contender does per message: sleep for delay
// when it is set (a handler that waits on a downstream), then count.
func handle(sw *Stopwatch, delay time.Duration) {
	if delay > 0 {
		time.Sleep(delay)
	}
	sw.Mark(1)
}
