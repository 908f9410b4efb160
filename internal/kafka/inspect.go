package kafka

import (
	"sort"
	"time"
)

// State is a snapshot of what the engine is doing: for /debug/consumer and
// for the evidence captured when a partition stalls.
type State struct {
	Group      string           `json:"group"`
	Stopping   bool             `json:"stopping"`
	Live       string           `json:"live"` // "ok" or the liveness failure
	Partitions []PartitionState `json:"partitions"`
}

// PartitionState is one owned partition.
type PartitionState struct {
	Topic            string      `json:"topic"`
	Partition        int         `json:"partition"`
	Handler          string      `json:"handler"`
	Ordering         Ordering    `json:"ordering"`
	Generation       int32       `json:"generation"`
	CommittedOffset  int64       `json:"committed_offset"`
	HighWater        int64       `json:"high_water"`
	Lag              int64       `json:"lag"`
	InFlight         int         `json:"in_flight"`
	OldestOffset     int64       `json:"oldest_in_flight_offset"`
	OldestAgeSeconds float64     `json:"oldest_in_flight_age_seconds"`
	Stalled          bool        `json:"stalled"`
	IdleSeconds      float64     `json:"idle_seconds"`
	Zombies          int32       `json:"zombies"`
	Calls            []CallState `json:"running_calls"`
}

// CallState is one running handler call.
type CallState struct {
	Worker         int     `json:"worker"`
	Offset         int64   `json:"offset"`
	RunningSeconds float64 `json:"running_seconds"`
	Cancelled      bool    `json:"context_ended"`
	Zombie         bool    `json:"zombie"`
}

// Inspect returns the engine's State, sorted by topic and partition.
func (e *Engine) Inspect() any { return e.State() }

// State returns a snapshot of the engine.
func (e *Engine) State() State {
	now := time.Now()
	st := State{Group: e.cfg.GroupID, Stopping: e.stopping.Load(), Live: "ok"}
	if err := e.Live(); err != nil {
		st.Live = err.Error()
	}
	e.metrics.live.each(func(p *partitionRun) {
		ps := PartitionState{
			Topic: p.topic, Partition: p.partition, Handler: p.sub.Handler, Ordering: p.sub.Ordering,
			Generation: p.gen.gen.ID, CommittedOffset: p.position.Load(), HighWater: p.highWater.Load(),
			InFlight: p.tracker.InFlight(), OldestOffset: -1, Zombies: p.zombies.Load(),
		}
		if ps.HighWater >= 0 && ps.CommittedOffset >= 0 {
			ps.Lag = max(ps.HighWater-ps.CommittedOffset, 0)
		}
		if off, fetched, ok := p.tracker.Oldest(); ok {
			ps.OldestOffset, ps.OldestAgeSeconds = off, now.Sub(fetched).Seconds()
		}
		_, idle, stalled := p.stall(now, e.cfg.StallTimeout)
		ps.Stalled, ps.IdleSeconds = stalled, idle.Seconds()
		if slots := p.calls.Load(); slots != nil {
			for i := range slots.slots {
				if c := slots.slots[i].Load(); c != nil {
					ps.Calls = append(ps.Calls, CallState{Worker: i, Offset: c.offset, RunningSeconds: now.Sub(c.start).Seconds(),
						Cancelled: c.Err() != nil, Zombie: c.zombie.Load()})
				}
			}
		}
		st.Partitions = append(st.Partitions, ps)
	})
	sort.Slice(st.Partitions, func(i, j int) bool {
		a, b := st.Partitions[i], st.Partitions[j]
		return a.Topic < b.Topic || (a.Topic == b.Topic && a.Partition < b.Partition)
	})
	return st
}
