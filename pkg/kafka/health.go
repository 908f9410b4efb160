package kafka

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Ready reports nil once the engine has joined the group and until it stops.
func (e *Engine) Ready() error {
	switch {
	case e.stopping.Load():
		return errors.New("consumer is stopping")
	case !e.joined.Load():
		return fmt.Errorf("consumer has not yet joined group %s", e.cfg.GroupID)
	}
	return nil
}

// Live reports whether a restart could help: it returns an error naming
// every partition that cannot be consumed, or whose commit point has not
// moved for StallTimeout while it holds work for a reason the engine
// cannot name (a stuck handler), or that has more zombie calls than
// MaxZombies; and when more than MaxZombies calls abandoned at revoke or
// shutdown still run, or the engine's own background work failed.
//
// A partition blocked by a known cause that a restart cannot fix (a
// dead-letter or retry-topic write that fails) is not a liveness failure:
// Blocked reports it. Slow progress is progress.
func (e *Engine) Live() error {
	if err := e.group.Err(); err != nil {
		return fmt.Errorf("consumer failed: %w", err)
	}
	now := time.Now()
	var problems []string
	e.live.each(func(p *partitionRun) {
		problems = append(problems, p.problems(p.status(now), now)...)
	})
	if n := e.abandoned.Load(); n > int32(e.cfg.MaxZombies) {
		problems = append(problems, fmt.Sprintf("%d handler calls abandoned at revoke or shutdown still run, ignoring their ended context (max_zombies %d): only a restart frees them",
			n, e.cfg.MaxZombies))
	}
	return joinSorted(problems)
}

// Blocked describes every partition held by a known cause that a restart
// cannot fix, or returns nil.
func (e *Engine) Blocked() error {
	now := time.Now()
	var blocked []string
	e.live.each(func(p *partitionRun) {
		if b := p.status(now).blocked; b != nil {
			blocked = append(blocked, b.describe(p, now))
		}
	})
	return joinSorted(blocked)
}

// joinSorted returns nil for no lines, else one error of the lines in
// order, separated by "; ".
func joinSorted(lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	sort.Strings(lines)
	return errors.New(strings.Join(lines, "; "))
}
