package middleware

import (
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/internal/message"
)

// Options configures the default chain.
type Options struct {
	Log *zap.Logger
	// DeadLetter, when not nil, receives messages whose handling finally
	// failed; without it they are recorded as failed and committed past.
	DeadLetter *DeadLetterer
	// RetryTopic, when not nil, takes messages whose in-place retries are
	// used up, before dead-lettering.
	RetryTopic *RetryTopicer
	Retry      RetryPolicy
	// AttemptTimeout, when positive, bounds each attempt.
	AttemptTimeout time.Duration
	// Duration times each attempt; OnPanic counts recovered panics.
	Duration Observer
	OnPanic  func()
}

// Default wraps h in the default chain, in the order this package's doc
// explains: Logging, DeadLetter, RetryTopic, Retry, Timeout, Metrics,
// Recover.
func Default(h message.Handler, o Options) message.Handler {
	mws := []message.Middleware{Logging(o.Log)}
	if o.DeadLetter != nil {
		mws = append(mws, DeadLetter(o.DeadLetter))
	}
	if o.RetryTopic != nil {
		mws = append(mws, RetryTopic(o.RetryTopic))
	}
	mws = append(mws, Retry(o.Retry))
	if o.AttemptTimeout > 0 {
		mws = append(mws, Timeout(o.AttemptTimeout))
	}
	if o.Duration != nil {
		mws = append(mws, Metrics(o.Duration))
	}
	mws = append(mws, Recover(o.OnPanic))
	return message.Chain(h, mws...)
}
