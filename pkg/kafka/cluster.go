package kafka

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
)

// Cluster is where the brokers are: the configured ones, or — when none are
// configured — an embedded in-process broker (kfake, which speaks the real
// protocol) that Start launches with the service's topics created, so the
// service runs on a fresh machine. Every client asks Cluster for addresses
// at its own Start, never at construction.
type Cluster struct {
	cfg Config
	// topics are created at start on the embedded broker: the
	// configured ones and those added by AddTopics.
	topics []string
	log    *zap.Logger
	mu     sync.Mutex
	fake   *kfake.Cluster
	// addrs is written once by Start and read by every client after it.
	addrs []string
}

// NewCluster describes the cluster; it starts nothing.
func NewCluster(cfg Config, log *zap.Logger) *Cluster {
	c := &Cluster{cfg: cfg, log: log.Named("broker"), topics: slices.Clone(cfg.Embedded.Topics)}
	if !cfg.UsesEmbedded() {
		c.addrs = slices.Clone(cfg.Brokers)
	}
	return c
}

// Name identifies the component in lifecycle logs.
func (c *Cluster) Name() string { return "broker" }

// AddTopics declares topics the service reads or writes, for the embedded
// broker to create at Start beside kafka.embedded.topics: a consumer group
// sees only topics that exist when it joins. NewEngine declares its
// subscriptions' topics, so the embedded broker's topics are the
// service's, whatever they are. It must be called before Start.
func (c *Cluster) AddTopics(topics ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.topics = slices.Compact(slices.Sorted(slices.Values(append(c.topics, topics...))))
}

// Start launches the embedded broker when no brokers are configured; with
// real brokers it does nothing (the clients connect and report errors).
func (c *Cluster) Start(context.Context) error {
	if !c.cfg.UsesEmbedded() {
		c.log.Info("using configured brokers", zap.Strings("brokers", c.addrs))
		return nil
	}
	c.mu.Lock()
	topics := slices.Clone(c.topics)
	c.mu.Unlock()
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(c.cfg.Embedded.Partitions),
		kfake.SeedTopics(int32(c.cfg.Embedded.Partitions), topics...),
		kfake.Ports(c.cfg.Embedded.Port),
	}
	fake, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("start embedded broker: %w", err)
	}
	c.mu.Lock()
	c.fake = fake
	c.addrs = fake.ListenAddrs()
	c.mu.Unlock()
	c.log.Info("embedded broker started (in process; data is lost on exit)",
		zap.Strings("addrs", c.addrs), zap.Strings("topics", topics),
		zap.Int("partitions", c.cfg.Embedded.Partitions))
	return nil
}

// Addrs returns the bootstrap addresses; valid after Start.
func (c *Cluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.addrs)
}

// Stop shuts the embedded broker down; it must run after every client has
// stopped.
func (c *Cluster) Stop(context.Context) error {
	c.mu.Lock()
	fake := c.fake
	c.fake = nil
	c.mu.Unlock()
	if fake == nil {
		return nil
	}
	return closeWithin(c.cfg.CloseTimeout, "embedded broker", func() error { fake.Close(); return nil })
}

// Failed never closes: the broker has no background work of ours to fail.
func (c *Cluster) Failed() <-chan struct{} { return nil }

// Err is always nil; see Failed.
func (c *Cluster) Err() error { return nil }
