package kafka

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// NetworkState is the last error a Kafka client of the engine reported
// while it cannot reach the brokers, or gets no answer from them: what a
// partition's fetch, or the group's membership and commits, waits on.
// A network that is slow or gone is not a liveness failure (a restart
// cannot fix it; the clients retry by themselves): /debug/consumer shows
// it here, naming the brokers, while /healthz stays ok.
type NetworkState struct {
	// Brokers are the addresses the client was given; Error is the
	// client's own report, which names the address it failed on when it
	// knows it (e.g. "read tcp ...->127.0.0.1:9092: i/o timeout").
	Brokers []string `json:"brokers"`
	Error   string   `json:"error"`
	// Seconds is how long ago the error was reported; Failures how many
	// errors were reported since the client last succeeded.
	Seconds  float64 `json:"seconds_ago"`
	Failures int     `json:"failures"`
}

// netTrouble records one client's errors until it succeeds again: a
// partition's reader (cleared by each fetched message) or the group
// (cleared by each successful commit or joined generation). Safe for
// concurrent use; the zero value holds no trouble.
type netTrouble struct {
	last atomic.Pointer[netError]
}

type netError struct {
	brokers  []string
	line     string
	at       time.Time
	failures int
}

// failed records that the client, given brokers, reported line at at.
func (n *netTrouble) failed(brokers []string, line string, at time.Time) {
	next := &netError{brokers: slices.Clone(brokers), line: line, at: at, failures: 1}
	for {
		prev := n.last.Load()
		if prev != nil {
			next.failures = prev.failures + 1
		}
		if n.last.CompareAndSwap(prev, next) {
			return
		}
	}
}

// succeeded forgets the trouble: the client got through.
func (n *netTrouble) succeeded() {
	if n.last.Load() != nil {
		n.last.Store(nil)
	}
}

// state is the trouble as seen at now, or nil when there is none.
func (n *netTrouble) state(now time.Time) *NetworkState {
	e := n.last.Load()
	if e == nil {
		return nil
	}
	return &NetworkState{Brokers: slices.Clone(e.brokers), Error: e.line, Seconds: now.Sub(e.at).Seconds(), Failures: e.failures}
}

// String is the trouble as one line naming the brokers, for logs and tests.
func (s *NetworkState) String() string {
	return fmt.Sprintf("brokers %v, %d failures, last %.1fs ago: %s", s.Brokers, s.Failures, s.Seconds, s.Error)
}
