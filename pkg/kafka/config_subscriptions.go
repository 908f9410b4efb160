package kafka

import (
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// validateSubscriptions returns every problem of c.Subscriptions. Config
// validation runs it on the configured subscriptions; the engine runs it
// again on those it resolved against the registered defaults.
func (c Config) validateSubscriptions() []error {
	var bad configErrors
	subscribed := map[string]int{} // topic -> how often subscribed
	for _, s := range c.Subscriptions {
		subscribed[s.Topic]++
	}
	for i, s := range c.Subscriptions {
		if s.HandlerTimeout < 0 {
			bad.add("kafka.subscriptions[%d].handler_timeout must be > 0 (or unset for kafka.handler_timeout), got %s", i, s.HandlerTimeout)
		}
		s = withDefaults(s, c)
		at := fmt.Sprintf("kafka.subscriptions[%d]", i)
		bad = append(bad, c.validateRetry(at, s)...)
		bad = append(bad, c.validateRetryTopic(at, s, subscribed)...)
		if s.Topic == "" {
			bad.add("%s.topic must not be empty", at)
		} else if subscribed[s.Topic] > 1 && firstSubscription(c.Subscriptions, s.Topic) < i {
			bad.add("%s.topic %q is subscribed twice", at, s.Topic)
		}
		if s.Handler == "" {
			bad.add("%s.handler must not be empty", at)
		}
		bad = append(bad, validateOrdering(at, s)...)
		bad = append(bad, c.validateBatch(at, s)...)
	}
	return bad
}

// validateRetry checks s's retry policy (at names it) and that its retry
// budget fits in StallTimeout.
func (c Config) validateRetry(at string, s registry.Subscription) []error {
	bad := configErrors(s.Retry.Validate(at + ".retry"))
	// A message that keeps failing must reach its outcome before its
	// partition looks stalled, even when every attempt runs into its
	// deadline. (Its letter write is not counted: it is bounded by
	// write_timeout, and while it runs or fails the partition is not
	// stalled but writing, or blocked.)
	if budget := s.Retry.Budget(s.HandlerTimeout); s.HandlerTimeout > 0 && c.StallTimeout > 0 && budget >= c.StallTimeout {
		bad.add("%s: the retry budget, max_attempts %d × handler_timeout %s + backoffs of up to %s = %s, must be below kafka.stall_timeout (%s), or a message that keeps failing looks like a stall",
			at, s.Retry.MaxAttempts, s.HandlerTimeout, s.Retry.Backoffs(), budget, c.StallTimeout)
	}
	if s.DeadLetter.Enabled && s.DeadLetter.Topic == s.Topic {
		bad.add("%s.dead_letter.topic must differ from the topic", at)
	}
	return bad
}

// validateRetryTopic checks s's retry topic, when enabled, against s, its
// dead-letter topic, StallTimeout and the topics subscribed.
func (c Config) validateRetryTopic(at string, s registry.Subscription, subscribed map[string]int) []error {
	rt := s.RetryTopic
	if !rt.Enabled {
		return nil
	}
	var bad configErrors
	if rt.Topic == s.Topic || (s.DeadLetter.Enabled && rt.Topic == s.DeadLetter.Topic) {
		bad.add("%s.retry_topic.topic must differ from the topic and the dead-letter topic", at)
	}
	if rt.Delay < 0 || rt.Rounds < 1 {
		bad.add("%s.retry_topic needs delay >= 0 and rounds >= 1", at)
	}
	if c.StallTimeout > 0 && rt.Delay >= c.StallTimeout/2 {
		bad.add("%s.retry_topic.delay (%s) must be below half of kafka.stall_timeout (%s): waiting rounds hold their partition", at, rt.Delay, c.StallTimeout)
	}
	if s.Batch.Size > 0 {
		bad.add("%s.retry_topic needs a per-message handler, not a batch", at)
	}
	if subscribed[rt.Topic] > 0 {
		bad.add("%s.retry_topic.topic %q is also subscribed: the engine consumes it for this subscription", at, rt.Topic)
	}
	return bad
}

// validateOrdering checks s's ordering and its workers.
func validateOrdering(at string, s registry.Subscription) []error {
	var bad configErrors
	switch s.Ordering {
	case registry.OrderingPartition:
		if s.Workers > 1 {
			bad.add("%s.workers %d: partition ordering has exactly one worker per partition; use ordering key or none for more", at, s.Workers)
		}
	case registry.OrderingKey, registry.OrderingNone:
		if s.Workers < 1 || s.Workers > 1024 {
			bad.add("%s.workers must be between 1 and 1024 for ordering %s, got %d", at, s.Ordering, s.Workers)
		}
		if s.Batch.Size > 0 {
			bad.add("%s: batches need ordering partition, got %s", at, s.Ordering)
		}
	default:
		bad.add("%s.ordering %q: must be partition, key or none", at, s.Ordering)
	}
	return bad
}

// validateBatch checks that s's batch can fill within the in-flight
// bounds, and flush.
func (c Config) validateBatch(at string, s registry.Subscription) []error {
	var bad configErrors
	if s.Batch.Size < 0 || s.Batch.Bytes < 0 {
		bad.add("%s.batch.size and batch.bytes must be >= 0", at)
	}
	if s.Batch.Size == 0 && s.Batch.Bytes > 0 {
		bad.add("%s.batch.bytes is set without batch.size", at)
	}
	if int64(s.Batch.Bytes) > c.MaxInflightBytes && c.MaxInflightBytes > 0 {
		bad.add("%s.batch.bytes (%d) must not exceed kafka.max_inflight_bytes (%d), or a batch could never fill", at, s.Batch.Bytes, c.MaxInflightBytes)
	}
	if s.Batch.Size > 0 && s.Batch.Linger <= 0 {
		bad.add("%s.batch.linger must be > 0 when batch.size is set, or a partial batch would wait forever", at)
	}
	if s.Batch.Size > c.MaxInflight && c.MaxInflight > 0 {
		bad.add("%s.batch.size (%d) must not exceed kafka.max_inflight (%d)", at, s.Batch.Size, c.MaxInflight)
	}
	return bad
}

// firstSubscription returns the index of the first subscription of topic.
func firstSubscription(subs []registry.Subscription, topic string) int {
	for i, s := range subs {
		if s.Topic == topic {
			return i
		}
	}
	return -1
}
