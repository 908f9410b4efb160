package kafka

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Validate returns every problem with the configuration, each naming its
// setting. It makes no connection.
func (c Config) Validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, b := range c.Brokers {
		host, port, err := net.SplitHostPort(strings.TrimSpace(b))
		if err != nil || host == "" {
			bad("kafka.brokers: %q is not host:port", b)
			continue
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			bad("kafka.brokers: %q has an invalid port", b)
		}
	}
	if c.GroupID == "" {
		bad("kafka.group_id must not be empty")
	}
	if c.StartOffset != "earliest" && c.StartOffset != "latest" {
		bad("kafka.start_offset %q: must be earliest or latest", c.StartOffset)
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"kafka.session_timeout", c.SessionTimeout},
		{"kafka.heartbeat_interval", c.HeartbeatInterval},
		{"kafka.rebalance_timeout", c.RebalanceTimeout},
		{"kafka.join_group_backoff", c.JoinGroupBackoff},
		{"kafka.commit_interval", c.CommitInterval},
		{"kafka.drain_timeout", c.DrainTimeout},
		{"kafka.handler_timeout", c.HandlerTimeout},
		{"kafka.zombie_grace", c.ZombieGrace},
		{"kafka.stall_timeout", c.StallTimeout},
		{"kafka.close_timeout", c.CloseTimeout},
		{"kafka.fetch_max_wait", c.FetchMaxWait},
		{"kafka.retry_backoff", c.RetryBackoff},
		{"kafka.max_retry_backoff", c.MaxRetryBackoff},
		{"kafka.write_timeout", c.WriteTimeout},
		{"kafka.blocked_retry_interval", c.BlockedRetryInterval},
	}
	for _, p := range positive {
		if p.d <= 0 {
			bad("%s must be > 0, got %s", p.name, p.d)
		}
	}
	if c.HeartbeatInterval > 0 && c.SessionTimeout > 0 && c.HeartbeatInterval >= c.SessionTimeout {
		bad("kafka.heartbeat_interval (%s) must be less than kafka.session_timeout (%s)", c.HeartbeatInterval, c.SessionTimeout)
	}
	if c.DrainTimeout > 0 && c.RebalanceTimeout > 0 && c.DrainTimeout >= c.RebalanceTimeout {
		bad("kafka.drain_timeout (%s) must be less than kafka.rebalance_timeout (%s), or a slow drain evicts the member", c.DrainTimeout, c.RebalanceTimeout)
	}
	if c.RetryBackoff > c.MaxRetryBackoff {
		bad("kafka.retry_backoff (%s) must not exceed kafka.max_retry_backoff (%s)", c.RetryBackoff, c.MaxRetryBackoff)
	}
	if c.MaxInflight < 1 {
		bad("kafka.max_inflight must be >= 1, got %d", c.MaxInflight)
	}
	if c.MaxZombies < 0 {
		bad("kafka.max_zombies must be >= 0, got %d", c.MaxZombies)
	}
	if c.MaxInflightBytes < 1 {
		bad("kafka.max_inflight_bytes must be >= 1, got %d", c.MaxInflightBytes)
	}
	errs = append(errs, c.validateSubscriptions()...)
	if c.UsesEmbedded() {
		if c.Embedded.Partitions < 1 {
			bad("kafka.embedded.partitions must be >= 1, got %d", c.Embedded.Partitions)
		}
		if c.Embedded.Port < 0 || c.Embedded.Port > 65535 {
			bad("kafka.embedded.port %d is not a port", c.Embedded.Port)
		}
	}
	errs = append(errs, c.TLS.validate()...)
	errs = append(errs, c.SASL.validate()...)
	return errs
}

// validateSubscriptions returns every problem of c.Subscriptions. Config
// validation runs it on the configured subscriptions; the engine runs it
// again on those it resolved against the registered defaults.
func (c Config) validateSubscriptions() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	subscribed := map[string]int{} // topic -> how often subscribed
	for _, s := range c.Subscriptions {
		subscribed[s.Topic]++
	}
	for i, s := range c.Subscriptions {
		if s.HandlerTimeout < 0 {
			bad("kafka.subscriptions[%d].handler_timeout must be > 0 (or unset for kafka.handler_timeout), got %s", i, s.HandlerTimeout)
		}
		s = withDefaults(s, c)
		at := fmt.Sprintf("kafka.subscriptions[%d]", i)
		errs = append(errs, s.Retry.Validate(at+".retry")...)
		// A message that keeps failing must reach its outcome before its
		// partition looks stalled, even when every attempt runs into its
		// deadline. (Its letter write is not counted: it is bounded by
		// write_timeout, and while it runs or fails the partition is not
		// stalled but writing, or blocked.)
		if budget := s.Retry.Budget(s.HandlerTimeout); s.HandlerTimeout > 0 && c.StallTimeout > 0 && budget >= c.StallTimeout {
			bad("%s: the retry budget, max_attempts %d × handler_timeout %s + backoffs of up to %s = %s, must be below kafka.stall_timeout (%s), or a message that keeps failing looks like a stall",
				at, s.Retry.MaxAttempts, s.HandlerTimeout, s.Retry.Backoffs(), budget, c.StallTimeout)
		}
		if s.DeadLetter.Enabled && s.DeadLetter.Topic == s.Topic {
			bad("%s.dead_letter.topic must differ from the topic", at)
		}
		if rt := s.RetryTopic; rt.Enabled {
			if rt.Topic == s.Topic || (s.DeadLetter.Enabled && rt.Topic == s.DeadLetter.Topic) {
				bad("%s.retry_topic.topic must differ from the topic and the dead-letter topic", at)
			}
			if rt.Delay < 0 || rt.Rounds < 1 {
				bad("%s.retry_topic needs delay >= 0 and rounds >= 1", at)
			}
			if c.StallTimeout > 0 && rt.Delay >= c.StallTimeout/2 {
				bad("%s.retry_topic.delay (%s) must be below half of kafka.stall_timeout (%s): waiting rounds hold their partition", at, rt.Delay, c.StallTimeout)
			}
			if s.Batch.Size > 0 {
				bad("%s.retry_topic needs a per-message handler, not a batch", at)
			}
			if subscribed[rt.Topic] > 0 {
				bad("%s.retry_topic.topic %q is also subscribed: the engine consumes it for this subscription", at, rt.Topic)
			}
		}
		if s.Topic == "" {
			bad("%s.topic must not be empty", at)
		} else if subscribed[s.Topic] > 1 && firstSubscription(c.Subscriptions, s.Topic) < i {
			bad("%s.topic %q is subscribed twice", at, s.Topic)
		}
		if s.Handler == "" {
			bad("%s.handler must not be empty", at)
		}
		switch s.Ordering {
		case registry.OrderingPartition:
			if s.Workers > 1 {
				bad("%s.workers %d: partition ordering has exactly one worker per partition; use ordering key or none for more", at, s.Workers)
			}
		case registry.OrderingKey, registry.OrderingNone:
			if s.Workers < 1 || s.Workers > 1024 {
				bad("%s.workers must be between 1 and 1024 for ordering %s, got %d", at, s.Ordering, s.Workers)
			}
			if s.Batch.Size > 0 {
				bad("%s: batches need ordering partition, got %s", at, s.Ordering)
			}
		default:
			bad("%s.ordering %q: must be partition, key or none", at, s.Ordering)
		}
		if s.Batch.Size < 0 || s.Batch.Bytes < 0 {
			bad("%s.batch.size and batch.bytes must be >= 0", at)
		}
		if s.Batch.Size == 0 && s.Batch.Bytes > 0 {
			bad("%s.batch.bytes is set without batch.size", at)
		}
		if int64(s.Batch.Bytes) > c.MaxInflightBytes && c.MaxInflightBytes > 0 {
			bad("%s.batch.bytes (%d) must not exceed kafka.max_inflight_bytes (%d), or a batch could never fill", at, s.Batch.Bytes, c.MaxInflightBytes)
		}
		if s.Batch.Size > 0 && s.Batch.Linger <= 0 {
			bad("%s.batch.linger must be > 0 when batch.size is set, or a partial batch would wait forever", at)
		}
		if s.Batch.Size > c.MaxInflight && c.MaxInflight > 0 {
			bad("%s.batch.size (%d) must not exceed kafka.max_inflight (%d)", at, s.Batch.Size, c.MaxInflight)
		}
	}
	return errs
}

// validate reads and parses the files too: a missing or unreadable
// certificate is bad configuration, found before any connection.
func (t TLSConfig) validate() []error {
	if !t.Enabled && (t.CAFile != "" || t.CertFile != "" || t.KeyFile != "") {
		return []error{fmt.Errorf("kafka.tls: files are set but kafka.tls.enabled is false")}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return []error{fmt.Errorf("kafka.tls.cert_file and kafka.tls.key_file must be set together")}
	}
	if !t.Enabled {
		return nil
	}
	_, errs := t.load()
	return errs
}

func (s SASLConfig) validate() []error {
	switch s.Mechanism {
	case "":
		if s.Username != "" || s.Password != "" {
			return []error{fmt.Errorf("kafka.sasl: username or password set without kafka.sasl.mechanism")}
		}
		return nil
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.Username == "" || s.Password == "" {
			return []error{fmt.Errorf("kafka.sasl.mechanism %s needs kafka.sasl.username and kafka.sasl.password", s.Mechanism)}
		}
		return nil
	default:
		return []error{fmt.Errorf("kafka.sasl.mechanism %q: must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)}
	}
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
