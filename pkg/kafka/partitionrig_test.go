package kafka

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// fakeReader serves a partition's messages from a channel, as kafka-go's
// reader serves them from the broker, and counts what was fetched. An
// error sent on fail is returned by the next fetch; report is what the
// engine gave the reader for the errors it retries by itself.
type fakeReader struct {
	msgs    chan kafkago.Message
	fail    chan error
	fetched atomic.Int64
	report  atomic.Pointer[func(line string)]
}

func (f *fakeReader) SetOffset(int64) error { return nil }
func (f *fakeReader) Close() error          { return nil }

func (f *fakeReader) FetchMessage(ctx context.Context) (kafkago.Message, error) {
	select {
	case m := <-f.msgs:
		f.fetched.Add(1)
		return m, nil
	case err := <-f.fail:
		return kafkago.Message{}, err
	case <-ctx.Done():
		return kafkago.Message{}, ctx.Err()
	}
}

// partitionRig runs one partition through the engine's whole partition
// run — fetch loop, offset window, lanes, every worker, deadline enforcer,
// delivery — with no broker: messages come from a fakeReader, letters go
// to a fakeLetters. Tests that need several workers (key and none
// ordering) or the retry topic's due wait use it; run inside a synctest
// bubble, its timers run on the bubble's clock and synctest.Wait says when
// nothing more can happen.
type partitionRig struct {
	t       testing.TB
	e       *Engine
	p       *partitionRun
	reader  *fakeReader
	letters *fakeLetters
	logs    *observer.ObservedLogs
	// end ends the generation (revoke); done is closed when the run has
	// drained and returned.
	end  context.CancelFunc
	done chan struct{}
}

// runPartition starts partition 0 of topic (sub's topic, or its retry
// topic) under cfg. Cleanup revokes it and waits for the run to end, so
// gates a test opens in its own cleanups (registered later, run earlier)
// let stuck handlers return first.
func runPartition(t testing.TB, cfg Config, sub registry.Subscription, handlers *registry.Registry, topic string) *partitionRig {
	t.Helper()
	if sub.Topic == "" {
		sub.Topic = "t"
	}
	if topic == "" {
		topic = sub.Topic
	}
	e, letters, _, logs := newRigEngine(t, cfg, sub, handlers)
	reader := &fakeReader{msgs: make(chan kafkago.Message, 1024), fail: make(chan error, 16)}
	e.openReader = func(_ string, _ int, report func(string)) partitionReader {
		reader.report.Store(&report)
		return reader
	}
	g := &generationRun{engine: e, gen: &kafkago.Generation{ID: 1}, log: e.log}
	p := newPartitionRun(g, e.subs[topic], 0, 0)
	genCtx, end := context.WithCancel(context.Background())
	r := &partitionRig{t: t, e: e, p: p, reader: reader, letters: letters, logs: logs, end: end, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		p.run(genCtx)
	}()
	t.Cleanup(func() {
		end()
		<-r.done
	})
	return r
}

// feed hands msgs to the fetch loop, in order.
func (r *partitionRig) feed(msgs ...kafkago.Message) {
	for _, m := range msgs {
		r.reader.msgs <- m
	}
}

func (r *partitionRig) outcome(o delivery.Outcome) int {
	return int(testutil.ToFloat64(r.e.metrics.messages.WithLabelValues(r.p.topic, r.p.sub.Handler, string(o))))
}

// outcomes sums every outcome.
func (r *partitionRig) outcomes() int {
	n := 0
	for _, o := range delivery.Outcomes() {
		n += r.outcome(o)
	}
	return n
}

// committable is the offset a commit would send now; -1 before any.
func (r *partitionRig) committable() int64 {
	off, _ := r.p.window.committable()
	return off
}

func (r *partitionRig) fetchPaused() float64 {
	return testutil.ToFloat64(r.e.metrics.fetchPaused.WithLabelValues(r.p.topic, "0"))
}

// keyed makes messages of topic "t" at offsets from, from+1, … with the
// given keys; each value is its offset.
func keyed(from int64, keys ...string) []kafkago.Message {
	out := make([]kafkago.Message, len(keys))
	for i, k := range keys {
		off := from + int64(i)
		out[i] = kafkago.Message{Topic: "t", Offset: off, Key: []byte(k), Value: []byte(strconv.FormatInt(off, 10)), HighWaterMark: off + 1}
	}
	return out
}
