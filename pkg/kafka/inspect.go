package kafka

import (
	"sort"
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// State is a snapshot of what the engine is doing: for /debug/consumer and
// for the evidence captured when liveness fails.
type State struct {
	Group    string `json:"group"`
	Stopping bool   `json:"stopping"`
	// Live is "ok" or the liveness failure; Blocked is "" or what blocks
	// partitions (which does not fail liveness).
	Live      string `json:"live"`
	Blocked   string `json:"blocked,omitempty"`
	Abandoned int32  `json:"abandoned_calls_running"`
	// Network is the group's trouble reaching the brokers (joining,
	// heartbeats, commits) since it last joined or committed, if any.
	Network    *NetworkState    `json:"network,omitempty"`
	Partitions []PartitionState `json:"partitions"`
}

// PartitionState is one owned partition.
type PartitionState struct {
	Topic           string            `json:"topic"`
	Partition       int               `json:"partition"`
	Handler         string            `json:"handler"`
	Ordering        registry.Ordering `json:"ordering"`
	Generation      int32             `json:"generation"`
	CommittedOffset int64             `json:"committed_offset"`
	HighWater       int64             `json:"high_water"`
	Lag             int64             `json:"lag"`
	// InFlight are fetched messages not done; WindowEntries also counts
	// the done ones behind the oldest unfinished (not yet committable):
	// what max_inflight bounds.
	InFlight         int     `json:"in_flight"`
	WindowEntries    int     `json:"window_entries"`
	WindowBytes      int64   `json:"window_bytes"`
	OldestOffset     int64   `json:"oldest_in_flight_offset"`
	OldestAgeSeconds float64 `json:"oldest_in_flight_age_seconds"`
	// HeldSeconds is how long the commit point has not moved while the
	// partition holds work.
	HeldSeconds float64       `json:"held_seconds"`
	Stalled     bool          `json:"stalled"`
	Blocked     *BlockedState `json:"blocked,omitempty"`
	Unusable    string        `json:"unusable,omitempty"`
	// Network is the fetch's trouble reaching the brokers since it last
	// fetched a message, if any: a partition waiting on the network.
	Network *NetworkState `json:"network,omitempty"`
	Zombies int32         `json:"zombies"`
	Calls   []CallState   `json:"running_calls"`
}

// BlockedState is a letter write that holds a partition's commit point.
type BlockedState struct {
	Reason       string  `json:"reason"`
	Offset       int64   `json:"offset"`
	LetterTopic  string  `json:"letter_topic"`
	Seconds      float64 `json:"seconds"`
	FailedWrites int     `json:"failed_writes"`
	Error        string  `json:"error"`
	WhatToDo     string  `json:"what_to_do"`
}

// CallState is one running handler call.
type CallState struct {
	Worker         int     `json:"worker"`
	Offset         int64   `json:"offset"`
	LastOffset     int64   `json:"last_offset"`
	RunningSeconds float64 `json:"running_seconds"`
	Cancelled      bool    `json:"context_ended"`
	Zombie         bool    `json:"zombie"`
}

// Inspect returns the engine's State, sorted by topic and partition.
func (e *Engine) Inspect() any { return e.State() }

// State returns a snapshot of the engine.
func (e *Engine) State() State {
	now := time.Now()
	st := State{Group: e.cfg.GroupID, Stopping: e.stopping.Load(), Live: "ok", Abandoned: e.abandoned.Load(), Network: e.groupNet.state(now)}
	if err := e.Live(); err != nil {
		st.Live = err.Error()
	}
	if err := e.Blocked(); err != nil {
		st.Blocked = err.Error()
	}
	e.live.each(func(p *partitionRun) {
		st.Partitions = append(st.Partitions, p.state(now))
	})
	sort.Slice(st.Partitions, func(i, j int) bool {
		a, b := st.Partitions[i], st.Partitions[j]
		return a.Topic < b.Topic || (a.Topic == b.Topic && a.Partition < b.Partition)
	})
	return st
}

// state is p's PartitionState at now, from its status.
func (p *partitionRun) state(now time.Time) PartitionState {
	s := p.status(now)
	ps := PartitionState{
		Topic: p.topic, Partition: p.partition, Handler: p.sub.Handler, Ordering: p.sub.Ordering,
		Generation: p.gen.gen.ID, CommittedOffset: s.committed, HighWater: s.highWater, Lag: s.lag,
		InFlight: s.inFlight, OldestOffset: -1, Stalled: s.stalled, Unusable: s.unusable, Zombies: p.zombies.Load(),
		Network: p.net.state(now),
	}
	ps.WindowEntries, ps.WindowBytes = p.window.size()
	if s.holds {
		ps.OldestOffset, ps.OldestAgeSeconds, ps.HeldSeconds = s.hold.head.offset, s.oldestAge.Seconds(), s.hold.held.Seconds()
	}
	if b := s.blocked; b != nil {
		ps.Blocked = &BlockedState{Reason: b.reason, Offset: b.offset, LetterTopic: b.letterTopic, Seconds: now.Sub(b.since).Seconds(),
			FailedWrites: b.failures, Error: b.err.Error(), WhatToDo: blockedAdvice(b.reason)}
	}
	if slots := p.calls.Load(); slots != nil {
		for i := range slots.slots {
			if c := slots.slots[i].Load(); c != nil {
				if call, ok := c.info(); ok {
					ps.Calls = append(ps.Calls, CallState{Worker: i, Offset: call.first, LastOffset: call.last, RunningSeconds: now.Sub(call.start).Seconds(),
						Cancelled: call.cancelled, Zombie: call.zombie})
				}
			}
		}
	}
	return ps
}
