package kafka

import (
	"fmt"
	"time"
)

// hold says what holds a partition's commit point, if anything.
type hold struct {
	head windowHead
	// held is how long the commit point has not moved while the
	// partition holds work.
	held time.Duration
	// call is the running call that includes the head, if any; writing
	// the letter write that holds it, if any (blocked when it failed).
	call    *callInfo
	writing *blockedState
}

// blocked returns the failing letter write that holds the head, or nil.
func (h hold) blocked() *blockedState {
	if h.writing != nil && h.writing.reason != "" {
		return h.writing
	}
	return nil
}

// holding returns what holds the partition's commit point at now; ok is
// false when it holds no work.
func (p *partitionRun) holding(now time.Time) (h hold, ok bool) {
	head, ok := p.window.oldest()
	if !ok {
		return hold{}, false
	}
	h = hold{head: head, held: now.Sub(head.since)}
	if calls := p.calls.Load(); calls != nil {
		if call, ok := calls.holding(head.offset); ok {
			h.call = &call
		}
	}
	if blocks := p.blocks.Load(); blocks != nil {
		h.writing = blocks.holding(head.offset)
	}
	return h, true
}

// problems lists what makes this partition, whose status at now is s,
// fail liveness.
func (p *partitionRun) problems(s partitionStatus, now time.Time) []string {
	cfg := p.gen.engine.cfg
	var out []string
	if s.unusable != "" {
		out = append(out, fmt.Sprintf("%s/%d cannot be consumed: %s", p.topic, p.partition, s.unusable))
	}
	if s.stalled {
		call := "no handler call is running for it"
		if s.hold.call != nil {
			call = fmt.Sprintf("its handler call has run for %s", now.Sub(s.hold.call.start).Round(time.Millisecond))
		}
		out = append(out, fmt.Sprintf("%s/%d stalled at offset %d: handler %s; the commit point has not moved for %s (stall_timeout %s); %s",
			p.topic, p.partition, s.hold.head.offset, p.sub.Handler, s.hold.held.Round(time.Millisecond), cfg.StallTimeout, call))
	}
	if z := p.zombies.Load(); z > int32(cfg.MaxZombies) {
		out = append(out, fmt.Sprintf("%s/%d: %d zombie calls of handler %s ignore their ended context (max_zombies %d); fetching stopped",
			p.topic, p.partition, z, p.sub.Handler, cfg.MaxZombies))
	}
	return out
}
