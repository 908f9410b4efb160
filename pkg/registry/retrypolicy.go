package registry

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how often and how patiently a failing message is tried
// again in place, blocking only its worker (its partition in partition
// ordering; its key, and the keys that share its worker, in key ordering).
type RetryPolicy struct {
	// MaxAttempts counts every call of the handler for the message, the
	// first included, whatever ended it: an error, a panic or the attempt
	// deadline. 1 means no retry.
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff doubles per attempt up to MaxBackoff, with jitter.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	MaxBackoff     time.Duration `yaml:"max_backoff"`
}

// DefaultRetryPolicy: three attempts, waiting up to 100ms then up to 200ms
// between them (at least half of each).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second}
}

// Validate returns every problem, prefixed with where the policy sits.
func (p RetryPolicy) Validate(at string) []error {
	var errs []error
	if p.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("%s.max_attempts must be >= 1, got %d", at, p.MaxAttempts))
	}
	if p.InitialBackoff <= 0 || p.MaxBackoff < p.InitialBackoff {
		errs = append(errs, fmt.Errorf("%s: need 0 < initial_backoff (%s) <= max_backoff (%s)", at, p.InitialBackoff, p.MaxBackoff))
	}
	return errs
}

// Delay is the wait before attempt+1: exponential from InitialBackoff,
// capped at MaxBackoff, drawn from its upper half so retrying partitions
// do not move in lockstep.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	d := p.ceiling(attempt)
	half := d / 2
	return half + rand.N(half+1)
}

// Budget is the longest a message can take to use up its attempts when
// every one of them runs into its deadline: MaxAttempts attempts of
// attemptTimeout, and the longest backoffs Delay can draw between them.
func (p RetryPolicy) Budget(attemptTimeout time.Duration) time.Duration {
	return time.Duration(p.MaxAttempts)*attemptTimeout + p.Backoffs()
}

// Backoffs is the most Delay can add up to between MaxAttempts attempts.
func (p RetryPolicy) Backoffs() time.Duration {
	var sum time.Duration
	for attempt := 1; attempt < p.MaxAttempts; attempt++ {
		sum += p.ceiling(attempt)
	}
	return sum
}

// ceiling is the longest wait before attempt+1: InitialBackoff doubled
// attempt-1 times, at most MaxBackoff. It compares before doubling, since
// a doubled value may wrap around int64 to one below MaxBackoff.
func (p RetryPolicy) ceiling(attempt int) time.Duration {
	shift := min(max(attempt-1, 0), 30)
	if p.InitialBackoff > p.MaxBackoff>>shift {
		return p.MaxBackoff
	}
	return p.InitialBackoff << shift
}
