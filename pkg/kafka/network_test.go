package kafka

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// TestNetTroubleCountsFailuresUntilTheClientSucceeds: each reported
// error replaces the last and counts; the state names the brokers and
// how long ago; a success forgets it all.
func TestNetTroubleCountsFailuresUntilTheClientSucceeds(t *testing.T) {
	var n netTrouble
	if s := n.state(time.Now()); s != nil {
		t.Fatalf("no trouble yet, got %v", s)
	}
	brokers := []string{"127.0.0.1:29192"}
	at := time.Unix(1000, 0)
	n.failed(brokers, "dial tcp 127.0.0.1:29192: connect: connection refused", at)
	n.failed(brokers, "read tcp 127.0.0.1:40000->127.0.0.1:29192: i/o timeout", at.Add(time.Second))
	brokers[0] = "changed by the caller"
	s := n.state(at.Add(3 * time.Second))
	if s == nil || s.Failures != 2 || s.Seconds != 2 || !slices.Equal(s.Brokers, []string{"127.0.0.1:29192"}) ||
		s.Error != "read tcp 127.0.0.1:40000->127.0.0.1:29192: i/o timeout" {
		t.Fatalf("state %+v: want the last error, 2 failures, 2s ago, brokers [127.0.0.1:29192]", s)
	}
	if got := s.String(); !strings.Contains(got, "127.0.0.1:29192") || !strings.Contains(got, "2 failures") {
		t.Fatalf("String() = %q", got)
	}
	n.succeeded()
	if s := n.state(at.Add(4 * time.Second)); s != nil {
		t.Fatalf("after a success: %v, want no trouble", s)
	}
	n.failed(brokers, "again", at)
	if s := n.state(at); s.Failures != 1 {
		t.Fatalf("a failure after a success counts from 1, got %d", s.Failures)
	}
}

// TestKafkaLoggerReportsWhatKafkaGoRetries: every line kafka-go logs as
// an error is logged and reported, except those of our own cancellation.
func TestKafkaLoggerReportsWhatKafkaGoRetries(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	var reported []string
	logf := kafkaLogger(zap.New(core), func(line string) { reported = append(reported, line) })
	logf.Printf("error initializing the kafka reader for partition %d of %s: %s", 0, "t", "dial tcp 127.0.0.1:29192: i/o timeout")
	logf.Printf("the kafka reader got an unknown error reading partition %d of %s at offset %d: %s", 0, "t", 5, context.Canceled)
	want := []string{"error initializing the kafka reader for partition 0 of t: dial tcp 127.0.0.1:29192: i/o timeout"}
	if !slices.Equal(reported, want) || logs.Len() != 1 || logs.All()[0].Message != want[0] {
		t.Fatalf("reported %q, logged %d lines: want only %q, logged once", reported, logs.Len(), want)
	}
	kafkaLogger(zap.New(core), nil).Printf("no reporter: %s", "logged only")
	if logs.Len() != 2 {
		t.Fatalf("without a reporter the line must still be logged")
	}
}

// TestPartitionWaitingOnTheNetworkStaysLiveAndNamesTheBroker: while a
// partition's reader retries errors reaching the broker — told through
// the report the engine gave it, or returned by a fetch — liveness stays
// ok well past stall_timeout, and the partition's state names the
// broker and the last error; the next fetched message clears it. The
// group's trouble shows in the engine's state likewise.
func TestPartitionWaitingOnTheNetworkStaysLiveAndNamesTheBroker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const broker = "127.0.0.1:29192"
		cfg := testConfig(nil)
		cfg.Brokers = []string{broker}
		cfg.StallTimeout = time.Minute
		r := runPartition(t, cfg, registry.Subscription{Handler: "h", Ordering: registry.OrderingPartition}, registry.Empty().Add("h", message.HandlerFunc(func(context.Context, *message.Message) error { return nil })), "")
		r.feed(keyed(0, "a")...)
		synctest.Wait()
		partition := func() PartitionState {
			t.Helper()
			st := r.e.State()
			if len(st.Partitions) != 1 {
				t.Fatalf("state has %d partitions, want 1", len(st.Partitions))
			}
			return st.Partitions[0]
		}
		if n := partition().Network; n != nil {
			t.Fatalf("no trouble yet, state says %v", n)
		}

		(*r.reader.report.Load())("the kafka reader got an unknown error reading partition 0 of t at offset 1: read tcp 127.0.0.1:40000->" + broker + ": i/o timeout")
		r.reader.fail <- errors.New("fetch: dial tcp " + broker + ": connect: connection refused")
		time.Sleep(3 * cfg.StallTimeout)
		synctest.Wait()
		if err := r.e.Live(); err != nil {
			t.Fatalf("a partition waiting on the network failed liveness: %v", err)
		}
		n := partition().Network
		if n == nil || n.Failures != 2 || !slices.Contains(n.Brokers, broker) || !strings.Contains(n.Error, "connection refused") {
			t.Fatalf("partition network state %v: want 2 failures naming %s, the last refused", n, broker)
		}

		r.e.groupTrouble("Failed to join group g: read tcp 127.0.0.1:40001->" + broker + ": i/o timeout")
		if g := r.e.State().Network; g == nil || !slices.Contains(g.Brokers, broker) || !strings.Contains(g.Error, "Failed to join group") {
			t.Fatalf("group network state %v", g)
		}

		r.feed(keyed(1, "a")...)
		synctest.Wait()
		if n := partition().Network; n != nil || r.committable() != 2 {
			t.Fatalf("after a fetched message: network %v, committable %d; want no trouble, 2", n, r.committable())
		}
	})
}
