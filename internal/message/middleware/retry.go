package middleware

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/consumerkit/consumerkit/internal/message"
)

// RetryPolicy says how often and how patiently a failed message is tried
// again in place, blocking only its key or partition.
type RetryPolicy struct {
	// MaxAttempts counts the first call; 1 means no retry.
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff doubles per attempt up to MaxBackoff, with jitter.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	MaxBackoff     time.Duration `yaml:"max_backoff"`
}

// DefaultRetryPolicy: three attempts, 100ms then 200ms apart (±50%).
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
	d := p.InitialBackoff << min(attempt-1, 30)
	if d <= 0 || d > p.MaxBackoff {
		d = p.MaxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// Sleep waits d, and returns false at once if ctx ends or the partition
// starts stopping (message.Stopping): a backoff is never worth finishing on
// a partition this member is giving up.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-message.Stopping(ctx):
	}
	return false
}

// Retry calls next until it succeeds, fails permanently, or MaxAttempts
// calls have failed; then it returns the last error marked permanent, so
// the layers above dead-letter or record it instead of retrying forever.
// It keeps m.Attempts and the failure times current. If the wait between
// attempts is cut short by revoke or shutdown, the last error is returned
// as it is (not permanent): the message stays uncommitted and is redelivered.
func Retry(p RetryPolicy) message.Middleware {
	return func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			for i := 1; ; i++ {
				m.Attempts++
				err := next.Handle(ctx, m)
				if err == nil {
					return nil
				}
				m.RecordFailure(time.Now())
				if message.IsPermanent(err) {
					return err
				}
				if i >= p.MaxAttempts {
					return message.Exhausted(fmt.Errorf("gave up after %d attempts: %w", m.Attempts, err))
				}
				if !Sleep(ctx, p.Delay(i)) {
					return err
				}
			}
		})
	}
}
