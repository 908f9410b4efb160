package registry

import "time"

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

// BatchConfig says when a batch is handed to its BatchHandler: when it holds
// Size messages or Bytes payload bytes, or Linger after its first message
// arrived (a fixed deadline, never extended by later messages), or on
// revoke and shutdown.
type BatchConfig struct {
	Size   int           `yaml:"size"`
	Bytes  int           `yaml:"bytes"`
	Linger time.Duration `yaml:"linger"`
}
