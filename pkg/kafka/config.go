package kafka

import (
	"time"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
	"github.com/consumerkit/consumerkit/pkg/registry"
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
	// Fetcher chooses how partitions are fetched: FetcherReader (one
	// kafka-go Reader, its goroutine and its connection per assigned
	// partition) or FetcherSession (one fetch session per broker, for all
	// the partitions it leads).
	Fetcher string `yaml:"fetcher"`
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
	AutoCreateTopics bool                    `yaml:"auto_create_topics"`
	TLS              conn.TLSConfig          `yaml:"tls"`
	SASL             conn.SASLConfig         `yaml:"sasl"`
	Subscriptions    []registry.Subscription `yaml:"subscriptions"`
	// Embedded shapes the in-process broker started when Brokers is
	// empty.
	Embedded embedded.Config `yaml:"embedded"`
}

// The fetchers kafka.fetcher chooses from.
const (
	FetcherReader  = "reader"
	FetcherSession = "session"
)

// withDefaults fills what the configuration left zero, some from the
// engine's configuration c.
func withDefaults(s registry.Subscription, c Config) registry.Subscription {
	if s.HandlerTimeout == 0 {
		s.HandlerTimeout = c.HandlerTimeout
	}
	d := registry.DefaultRetryPolicy()
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

// DefaultConfig is the engine's configuration on the embedded broker. It
// subscribes nothing: a service's handlers declare their subscriptions
// (registry.Registration), which Subscriptions override.
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
		Fetcher:              FetcherReader,
		RetryBackoff:         100 * time.Millisecond,
		MaxRetryBackoff:      10 * time.Second,
		WriteTimeout:         10 * time.Second,
		BlockedRetryInterval: time.Minute,
		AutoCreateTopics:     true,
		Embedded:             embedded.Config{Partitions: 4},
	}
}

// UsesEmbedded reports whether the engine runs on the in-process broker.
func (c Config) UsesEmbedded() bool { return len(c.Brokers) == 0 }

// Redacted returns a copy with secrets replaced, for printing.
func (c Config) Redacted() Config {
	switch {
	case c.SASL.PasswordFile != "":
		// Read from the file: printing the file's name says where, and
		// the printed configuration loads back without a second password.
		c.SASL.Password = ""
	case c.SASL.Password != "":
		c.SASL.Password = "REDACTED"
	}
	c.Brokers = append([]string(nil), c.Brokers...)
	c.Subscriptions = append([]registry.Subscription(nil), c.Subscriptions...)
	return c
}

// blockingRetry paces the retry of a letter write that failed for a
// passing reason: the same backoff as a handler's, from retry_backoff to
// max_retry_backoff.
func (c Config) blockingRetry() registry.RetryPolicy {
	return registry.RetryPolicy{InitialBackoff: c.RetryBackoff, MaxBackoff: c.MaxRetryBackoff}
}
