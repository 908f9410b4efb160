package kafka

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Ordering is how a subscription's messages may be processed concurrently.
type Ordering string

// The ordering modes.
const (
	// OrderingPartition processes each partition strictly in offset order
	// with one worker.
	OrderingPartition Ordering = "partition"
	// OrderingKey runs Workers workers per partition; messages with the same
	// key are processed in offset order by the same worker, different keys
	// in parallel (messages without a key count as one key).
	OrderingKey Ordering = "key"
	// OrderingNone runs Workers workers per partition in any order.
	OrderingNone Ordering = "none"
)

// Config is the engine's configuration. Durations are Go duration strings in
// YAML ("30s").
type Config struct {
	// Brokers is the bootstrap list; empty starts the embedded broker.
	Brokers []string `yaml:"brokers"`
	GroupID string   `yaml:"group_id"`
	// StartOffset applies to partitions the group has never committed:
	// "earliest" or "latest".
	StartOffset       string        `yaml:"start_offset"`
	SessionTimeout    time.Duration `yaml:"session_timeout"`
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	RebalanceTimeout  time.Duration `yaml:"rebalance_timeout"`
	JoinGroupBackoff  time.Duration `yaml:"join_group_backoff"`
	CommitInterval    time.Duration `yaml:"commit_interval"`
	// DrainTimeout bounds how long in-flight work may finish after a revoke
	// or at shutdown; then the handler's context is cancelled.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// HandlerTimeout is the context deadline of one handler call: one
	// attempt, of one message or one batch. A subscription may set its own.
	HandlerTimeout time.Duration `yaml:"handler_timeout"`
	// ZombieGrace is how long a call may run on after its context ended
	// before it counts as a zombie (Go cannot stop it).
	ZombieGrace time.Duration `yaml:"zombie_grace"`
	// MaxZombies is how many zombie calls a partition tolerates; past it
	// the partition stops fetching and liveness fails.
	MaxZombies int `yaml:"max_zombies"`
	// StallTimeout: a partition whose commit point has not moved for this
	// long while it holds work, for a reason the engine cannot name (a
	// stuck handler), is stalled, and liveness fails naming it. Every
	// subscription's retry budget must fit in it.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// CloseTimeout bounds every kafka-go Close, which can hang (kafka-go
	// issues 428, 1248, 1353).
	CloseTimeout time.Duration `yaml:"close_timeout"`
	// MaxInflight and MaxInflightBytes bound the fetched messages of one
	// partition that are not yet committable (unfinished, or finished
	// behind an unfinished one); when either is reached the partition
	// stops fetching until its commit point moves.
	MaxInflight      int   `yaml:"max_inflight"`
	MaxInflightBytes int64 `yaml:"max_inflight_bytes"`
	// FetchMaxWait is how long a fetch waits for data on an idle partition.
	FetchMaxWait time.Duration `yaml:"fetch_max_wait"`
	// RetryBackoff and MaxRetryBackoff pace the retry of a dead-letter or
	// retry-topic write that failed for a passing reason (exponential with
	// jitter); the handler is never called again for it.
	RetryBackoff    time.Duration `yaml:"retry_backoff"`
	MaxRetryBackoff time.Duration `yaml:"max_retry_backoff"`
	// WriteTimeout bounds one dead-letter or retry-topic write.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// BlockedRetryInterval is how often a write the broker rejects (too
	// large, not authorized) is tried again, and how often a blocked
	// partition logs its error.
	BlockedRetryInterval time.Duration `yaml:"blocked_retry_interval"`
	// AutoCreateTopics lets produced-to topics (output, dead letters) be
	// created on first write when the broker allows it.
	AutoCreateTopics bool           `yaml:"auto_create_topics"`
	TLS              TLSConfig      `yaml:"tls"`
	SASL             SASLConfig     `yaml:"sasl"`
	Subscriptions    []Subscription `yaml:"subscriptions"`
	Embedded         EmbeddedConfig `yaml:"embedded"`
}

// Subscription binds a topic to a registered handler.
type Subscription struct {
	Topic    string   `yaml:"topic"`
	Handler  string   `yaml:"handler"`
	Ordering Ordering `yaml:"ordering"`
	// Workers is the number of workers per partition in key and none
	// ordering; partition ordering always has one.
	Workers int `yaml:"workers"`
	// Batch, when Size > 0, delivers the topic to a BatchHandler (partition
	// ordering only: a batch is a run of one partition's offsets).
	Batch BatchConfig `yaml:"batch"`
	// Retry is the in-place retry policy of a failing message; zero values
	// take the defaults (3 attempts, 100ms doubling to at most 5s).
	Retry RetryPolicy `yaml:"retry"`
	// HandlerTimeout, when positive, is this subscription's deadline of
	// one handler call, instead of kafka.handler_timeout.
	HandlerTimeout time.Duration `yaml:"handler_timeout"`
	// DeadLetter sends messages that finally failed to a dead-letter topic.
	DeadLetter DeadLetterConfig `yaml:"dead_letter"`
	// RetryTopic reschedules messages whose in-place retries are used up
	// to a retry topic, consumed by this service, before dead-lettering.
	RetryTopic RetryTopicConfig `yaml:"retry_topic"`
}

// RetryTopicConfig enables non-blocking retries through a retry topic.
type RetryTopicConfig struct {
	Enabled bool `yaml:"enabled"`
	// Topic defaults to "<topic>.retry"; it is created at start when
	// missing, with as many partitions as the topic.
	Topic string `yaml:"topic"`
	// Delay is how long a rescheduled message waits before each round.
	Delay time.Duration `yaml:"delay"`
	// Rounds is how many times a message may go through the retry topic.
	Rounds int `yaml:"rounds"`
}

// DeadLetterConfig enables the dead-letter topic of a subscription.
type DeadLetterConfig struct {
	Enabled bool `yaml:"enabled"`
	// Topic defaults to "<topic>.dlq".
	Topic string `yaml:"topic"`
}

// withDefaults fills what the configuration left zero, some from the
// engine's configuration c.
func (s Subscription) withDefaults(c Config) Subscription {
	if s.HandlerTimeout == 0 {
		s.HandlerTimeout = c.HandlerTimeout
	}
	d := DefaultRetryPolicy()
	if s.Retry.MaxAttempts == 0 {
		s.Retry.MaxAttempts = d.MaxAttempts
	}
	if s.Retry.InitialBackoff == 0 {
		s.Retry.InitialBackoff = d.InitialBackoff
	}
	if s.Retry.MaxBackoff == 0 {
		s.Retry.MaxBackoff = max(d.MaxBackoff, s.Retry.InitialBackoff)
	}
	if s.DeadLetter.Enabled && s.DeadLetter.Topic == "" {
		s.DeadLetter.Topic = s.Topic + ".dlq"
	}
	if s.RetryTopic.Enabled {
		if s.RetryTopic.Topic == "" {
			s.RetryTopic.Topic = s.Topic + ".retry"
		}
		if s.RetryTopic.Delay == 0 {
			s.RetryTopic.Delay = 5 * time.Second
		}
		if s.RetryTopic.Rounds == 0 {
			s.RetryTopic.Rounds = 3
		}
	}
	return s
}

// BatchConfig says when a batch is handed to its BatchHandler: when it holds
// Size messages or Bytes payload bytes, or Linger after its first message
// arrived (a fixed deadline, never extended by later messages), or on
// revoke and shutdown.
type BatchConfig struct {
	Size   int           `yaml:"size"`
	Bytes  int           `yaml:"bytes"`
	Linger time.Duration `yaml:"linger"`
}

// EmbeddedConfig shapes the in-process broker used when Brokers is empty.
type EmbeddedConfig struct {
	// Topics are created at start with Partitions partitions each.
	Topics     []string `yaml:"topics"`
	Partitions int      `yaml:"partitions"`
	// Port is the listening port on 127.0.0.1; 0 picks a free one.
	Port int `yaml:"port"`
}

// TLSConfig enables TLS to the brokers.
type TLSConfig struct {
	Enabled            bool   `yaml:"enabled"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// SASLConfig enables SASL authentication: PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512. Password is a secret and is redacted when printed.
type SASLConfig struct {
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
}

// DefaultConfig is the configuration of the example service on the embedded
// broker.
func DefaultConfig() Config {
	return Config{
		GroupID:              "consumerkit-example",
		StartOffset:          "earliest",
		SessionTimeout:       30 * time.Second,
		HeartbeatInterval:    3 * time.Second,
		RebalanceTimeout:     30 * time.Second,
		JoinGroupBackoff:     2 * time.Second,
		CommitInterval:       time.Second,
		DrainTimeout:         10 * time.Second,
		HandlerTimeout:       30 * time.Second,
		ZombieGrace:          5 * time.Second,
		MaxZombies:           2,
		StallTimeout:         2 * time.Minute,
		CloseTimeout:         5 * time.Second,
		MaxInflight:          1000,
		MaxInflightBytes:     8 << 20,
		FetchMaxWait:         time.Second,
		RetryBackoff:         100 * time.Millisecond,
		MaxRetryBackoff:      10 * time.Second,
		WriteTimeout:         10 * time.Second,
		BlockedRetryInterval: time.Minute,
		AutoCreateTopics:     true,
		Subscriptions: []Subscription{{
			Topic: "orders", Handler: "orders-enricher", Ordering: OrderingPartition,
			Batch:      BatchConfig{Size: 100, Linger: 200 * time.Millisecond},
			Retry:      DefaultRetryPolicy(),
			DeadLetter: DeadLetterConfig{Enabled: true, Topic: "orders.dlq"},
		}},
		Embedded: EmbeddedConfig{Topics: []string{"orders", "orders.enriched", "orders.dlq"}, Partitions: 4},
	}
}

// UsesEmbedded reports whether the engine runs on the in-process broker.
func (c Config) UsesEmbedded() bool { return len(c.Brokers) == 0 }

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
	if len(c.Subscriptions) == 0 {
		bad("kafka.subscriptions must list at least one topic")
	}
	subscribed := map[string]int{} // topic -> how often subscribed
	for _, s := range c.Subscriptions {
		subscribed[s.Topic]++
	}
	for i, s := range c.Subscriptions {
		if s.HandlerTimeout < 0 {
			bad("kafka.subscriptions[%d].handler_timeout must be > 0 (or unset for kafka.handler_timeout), got %s", i, s.HandlerTimeout)
		}
		s = s.withDefaults(c)
		at := fmt.Sprintf("kafka.subscriptions[%d]", i)
		errs = append(errs, s.Retry.Validate(at+".retry")...)
		// A message that keeps failing must reach its outcome before its
		// partition looks stalled, even when every attempt runs into its
		// deadline. (Its letter write is not counted: it is bounded by
		// write_timeout, and while it runs or fails the partition is not
		// stalled but writing, or blocked.)
		if budget := s.Retry.Budget(s.HandlerTimeout); s.HandlerTimeout > 0 && c.StallTimeout > 0 && budget >= c.StallTimeout {
			bad("%s: the retry budget, max_attempts %d × handler_timeout %s + backoffs of up to %s = %s, must be below kafka.stall_timeout (%s), or a message that keeps failing looks like a stall",
				at, s.Retry.MaxAttempts, s.HandlerTimeout, s.Retry.backoffs(), budget, c.StallTimeout)
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
		case OrderingPartition:
			if s.Workers > 1 {
				bad("%s.workers %d: partition ordering has exactly one worker per partition; use ordering key or none for more", at, s.Workers)
			}
		case OrderingKey, OrderingNone:
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

// Redacted returns a copy with secrets replaced, for printing.
func (c Config) Redacted() Config {
	if c.SASL.Password != "" {
		c.SASL.Password = "REDACTED"
	}
	c.Brokers = append([]string(nil), c.Brokers...)
	c.Subscriptions = append([]Subscription(nil), c.Subscriptions...)
	return c
}

// blockingRetry paces the retry of a letter write that failed for a
// passing reason: the same backoff as a handler's, from retry_backoff to
// max_retry_backoff.
func (c Config) blockingRetry() RetryPolicy {
	return RetryPolicy{InitialBackoff: c.RetryBackoff, MaxBackoff: c.MaxRetryBackoff}
}

// firstSubscription returns the index of the first subscription of topic.
func firstSubscription(subs []Subscription, topic string) int {
	for i, s := range subs {
		if s.Topic == topic {
			return i
		}
	}
	return -1
}
