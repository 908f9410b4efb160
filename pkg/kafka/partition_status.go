package kafka

import "time"

// partitionStatus is what one live partition is doing at one instant. It
// is computed in one place, status, for liveness, /debug/consumer and the
// live metrics alike, so that they cannot disagree on lag, stall or block.
type partitionStatus struct {
	// committed is the offset last committed (before any commit: the
	// first fetched, or the generation's start, which is negative for
	// "earliest" and "latest" until the first fetch); highWater is the
	// partition's high-water mark as last fetched, -1 before any fetch.
	committed, highWater int64
	// lag is highWater - committed, never negative; hasLag is false while
	// either is unknown (negative).
	lag    int64
	hasLag bool
	// inFlight are the fetched messages not yet done.
	inFlight int
	// hold is what holds the commit point; holds is false when the
	// partition holds no work.
	hold  hold
	holds bool
	// oldestAge is how long ago the oldest unfinished message was
	// fetched; 0 when the partition holds no work.
	oldestAge time.Duration
	// stalled: the commit point has not moved for StallTimeout while the
	// partition holds work, for a reason the engine cannot name (a stuck
	// handler, not a letter being written or failing to be).
	stalled bool
	// blocked is the failing letter write that holds the commit point, or
	// nil: a known cause a restart cannot fix.
	blocked *blockedState
	// unusable says why the partition cannot be consumed this generation,
	// or "".
	unusable string
}

// status returns p's status at now.
func (p *partitionRun) status(now time.Time) partitionStatus {
	s := partitionStatus{committed: p.position.Load(), highWater: p.highWater.Load(), inFlight: p.window.inFlight()}
	if s.committed >= 0 && s.highWater >= 0 {
		s.lag, s.hasLag = max(s.highWater-s.committed, 0), true
	}
	s.hold, s.holds = p.holding(now)
	if s.holds {
		s.oldestAge = now.Sub(s.hold.head.fetched)
		s.stalled = s.hold.writing == nil && s.hold.held >= p.gen.engine.cfg.StallTimeout
		s.blocked = s.hold.blocked()
	}
	if reason := p.unusable.Load(); reason != nil {
		s.unusable = *reason
	}
	return s
}
