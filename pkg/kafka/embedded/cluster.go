package embedded

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// Config shapes the in-process broker, used when no brokers are
// configured (the kafka.embedded settings).
type Config struct {
	// Topics are created at start with Partitions partitions each.
	Topics     []string `yaml:"topics"`
	Partitions int      `yaml:"partitions"`
	// Port is the listening port on 127.0.0.1; 0 picks a free one.
	Port int `yaml:"port"`
}

// Validate returns every problem with the configuration, each naming its
// setting.
func (c Config) Validate() []error {
	var errs []error
	if c.Partitions < 1 {
		errs = append(errs, fmt.Errorf("kafka.embedded.partitions must be >= 1, got %d", c.Partitions))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("kafka.embedded.port %d is not a port", c.Port))
	}
	return errs
}

// Cluster is where the brokers are: the configured ones, or — when none
// are configured — an embedded in-process broker that Start launches with
// the configured topics created. It implements conn.Brokers.
type Cluster struct {
	cfg Config
	// embedded is fixed at construction: no brokers were configured.
	embedded     bool
	closeTimeout time.Duration
	log          *zap.Logger
	mu           sync.Mutex
	// topics are created at Start: Config.Topics and those AddTopics added.
	topics []string
	fake   *kfake.Cluster
	// addrs is written by NewCluster or Start and read by every client
	// after it.
	addrs []string
}

var _ conn.Brokers = (*Cluster)(nil)

// NewCluster describes the cluster: brokers when not empty, else an
// embedded broker shaped by cfg whose close Stop bounds by closeTimeout.
// It starts nothing.
func NewCluster(brokers []string, cfg Config, closeTimeout time.Duration, log *zap.Logger) *Cluster {
	return &Cluster{cfg: cfg, embedded: len(brokers) == 0, closeTimeout: closeTimeout, log: log.Named("broker"),
		addrs: slices.Clone(brokers), topics: slices.Clone(cfg.Topics)}
}

// AddTopics declares topics the service reads or writes, for the embedded
// broker to create at Start beside Config.Topics: a consumer group sees
// only topics that exist when it joins. The engine declares its
// subscriptions' topics, so the embedded broker's topics are the
// service's, whatever they are. Call it before Start; with configured
// brokers it changes nothing.
func (c *Cluster) AddTopics(topics ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.topics = slices.Compact(slices.Sorted(slices.Values(append(c.topics, topics...))))
}

// Name identifies the component in lifecycle logs.
func (c *Cluster) Name() string { return "broker" }

// Embedded reports whether Start launches an in-process broker: no
// brokers were configured.
func (c *Cluster) Embedded() bool { return c.embedded }

// Start launches the embedded broker when no brokers are configured; with
// real brokers it does nothing (the clients connect and report errors).
func (c *Cluster) Start(context.Context) error {
	if !c.Embedded() {
		c.log.Info("using configured brokers", zap.Strings("brokers", c.Addrs()))
		return nil
	}
	c.mu.Lock()
	topics := slices.Clone(c.topics)
	c.mu.Unlock()
	fake, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(c.cfg.Partitions),
		kfake.SeedTopics(int32(c.cfg.Partitions), topics...),
		kfake.Ports(c.cfg.Port),
	)
	if err != nil {
		return fmt.Errorf("start embedded broker: %w", err)
	}
	c.mu.Lock()
	c.fake = fake
	c.addrs = fake.ListenAddrs()
	c.mu.Unlock()
	c.log.Info("embedded broker started (in process; data is lost on exit)",
		zap.Strings("addrs", c.Addrs()), zap.Strings("topics", topics),
		zap.Int("partitions", c.cfg.Partitions))
	return nil
}

// Topics lists the topics Start creates on the embedded broker, sorted.
func (c *Cluster) Topics() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(slices.Values(c.topics))
}

// Addrs returns the bootstrap addresses: the configured ones, or the
// embedded broker's once Start returned (none before).
func (c *Cluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.addrs)
}

// Fake returns the embedded broker, for tests that observe or steer the
// requests it receives (kfake's Control); nil with configured brokers, or
// before Start and after Stop.
func (c *Cluster) Fake() *kfake.Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fake
}

// Stop shuts the embedded broker down within the close timeout; it must
// run after every client has stopped.
func (c *Cluster) Stop(context.Context) error {
	c.mu.Lock()
	fake := c.fake
	c.fake = nil
	c.mu.Unlock()
	if fake == nil {
		return nil
	}
	return conn.CloseWithin(c.closeTimeout, "embedded broker", func() error { fake.Close(); return nil })
}

// Failed never closes: the broker has no background work of ours to fail.
func (c *Cluster) Failed() <-chan struct{} { return nil }

// Err is always nil; see Failed.
func (c *Cluster) Err() error { return nil }
