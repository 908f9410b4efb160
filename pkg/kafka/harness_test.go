package kafka

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

var topicSeq atomic.Int64

// testBroker is the cluster integration tests run against: the real one
// named by KAFKA_BROKERS, reached with the TLS and SASL settings of the
// environment (KAFKA_TLS_*, KAFKA_SASL_*, as the binary reads them), or
// an embedded broker private to the test. A real broker that cannot be
// reached, or refuses the settings, fails the test; nothing is skipped.
type testBroker struct {
	t       testing.TB
	cluster *embedded.Cluster
	addrs   []string
	// tls and sasl are what every client of the test connects with:
	// the engines and publishers it starts, and its own (conn).
	tls  conn.TLSConfig
	sasl conn.SASLConfig
	conn conn.Settings
}

func newTestBroker(t testing.TB) *testBroker {
	t.Helper()
	if brokerFreeBuild {
		t.Fatal("a broker test in a file built with the brokerfree tag: give its file the line //go:build !brokerfree")
	}
	cfg := testConfig(nil)
	if env := os.Getenv("KAFKA_BROKERS"); env != "" {
		cfg.Brokers = strings.Split(env, ",")
		var err error
		if cfg.TLS, cfg.SASL, err = conntest.FromEnv(); err != nil {
			t.Fatal(err)
		}
	}
	settings, err := conn.New(cfg.TLS, cfg.SASL)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCluster(cfg, zap.NewNop())
	if err := c.Start(context.Background()); err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Errorf("stop broker: %v", err)
		}
	})
	b := &testBroker{t: t, cluster: c, addrs: c.Addrs(), tls: cfg.TLS, sasl: cfg.SASL, conn: settings}
	if err := settings.Check(context.Background(), b.addrs); err != nil {
		t.Fatalf("broker %v unreachable (set KAFKA_BROKERS to a running cluster, or unset it for the embedded one): %v", b.addrs, err)
	}
	return b
}

// transport is a Transport for one of the test's own clients; the
// caller closes its idle connections.
func (b *testBroker) transport() *kafkago.Transport { return b.conn.Transport("test") }

// fake returns the embedded broker, for tests that observe or steer
// the requests it receives; nil when the tests run against KAFKA_BROKERS.
func (b *testBroker) fake() *kfake.Cluster {
	return b.cluster.Fake()
}

// testConfig is a Config tuned for fast tests: short heartbeats and drains.
func testConfig(subs []registry.Subscription) Config {
	cfg := DefaultConfig()
	cfg.GroupID = fmt.Sprintf("test-%d-%d", os.Getpid(), topicSeq.Add(1))
	cfg.SessionTimeout = 10 * time.Second
	cfg.HeartbeatInterval = 500 * time.Millisecond
	cfg.RebalanceTimeout = 10 * time.Second
	cfg.JoinGroupBackoff = 500 * time.Millisecond
	cfg.CommitInterval = 200 * time.Millisecond
	cfg.DrainTimeout = 5 * time.Second
	cfg.HandlerTimeout = 10 * time.Second
	cfg.RetryBackoff = 10 * time.Millisecond
	cfg.MaxRetryBackoff = 100 * time.Millisecond
	for i := range subs {
		if subs[i].Retry == (registry.RetryPolicy{}) {
			subs[i].Retry = registry.RetryPolicy{MaxAttempts: 3, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
		}
	}
	cfg.Subscriptions = subs
	cfg.Embedded = embedded.Config{Partitions: 4}
	if f := os.Getenv("KAFKA_FETCHER"); f != "" {
		cfg.Fetcher = f // every engine test runs with the fetcher named, as the binary would
	}
	return cfg
}

// createTopic makes a topic with a name unique to this run.
func (b *testBroker) createTopic(name string, partitions int) string {
	b.t.Helper()
	topic := fmt.Sprintf("%s-%d-%d-%d", name, os.Getpid(), time.Now().UnixNano(), topicSeq.Add(1))
	b.createExactTopic(topic, partitions)
	return topic
}

// createExactTopic makes topic as named.
func (b *testBroker) createExactTopic(topic string, partitions int) {
	b.t.Helper()
	b.createTopicWithConfig(topic, partitions, nil)
}

// createTopicWithConfig makes topic as named, with topic configs.
func (b *testBroker) createTopicWithConfig(topic string, partitions int, configs map[string]string) {
	b.t.Helper()
	client := &kafkago.Client{Addr: kafkago.TCP(b.addrs...), Timeout: 30 * time.Second, Transport: b.transport()}
	defer client.Transport.(*kafkago.Transport).CloseIdleConnections()
	tc := kafkago.TopicConfig{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}
	for k, v := range configs {
		tc.ConfigEntries = append(tc.ConfigEntries, kafkago.ConfigEntry{ConfigName: k, ConfigValue: v})
	}
	res, err := client.CreateTopics(context.Background(), &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{tc}})
	if err != nil {
		b.t.Fatalf("create topic %s: %v", topic, err)
	}
	if err := res.Errors[topic]; err != nil {
		b.t.Fatalf("create topic %s: %v", topic, err)
	}
	b.waitForTopic(client, topic, partitions)
}

// alterTopicConfig sets topic configs, as an operator would.
func (b *testBroker) alterTopicConfig(topic string, configs map[string]string) {
	b.t.Helper()
	client := &kafkago.Client{Addr: kafkago.TCP(b.addrs...), Timeout: 30 * time.Second, Transport: b.transport()}
	defer client.Transport.(*kafkago.Transport).CloseIdleConnections()
	res := kafkago.IncrementalAlterConfigsRequestResource{ResourceType: kafkago.ResourceTypeTopic, ResourceName: topic}
	for k, v := range configs {
		res.Configs = append(res.Configs, kafkago.IncrementalAlterConfigsRequestConfig{Name: k, Value: v, ConfigOperation: kafkago.ConfigOperationSet})
	}
	resp, err := client.IncrementalAlterConfigs(context.Background(), &kafkago.IncrementalAlterConfigsRequest{Resources: []kafkago.IncrementalAlterConfigsRequestResource{res}})
	if err != nil {
		b.t.Fatalf("alter configs of %s: %v", topic, err)
	}
	for _, r := range resp.Resources {
		if r.Error != nil {
			b.t.Fatalf("alter configs of %s: %v", topic, r.Error)
		}
	}
}

// waitForTopic waits until metadata shows every partition with a leader.
func (b *testBroker) waitForTopic(client *kafkago.Client, topic string, partitions int) {
	b.t.Helper()
	consumertest.Eventually(b.t, fmt.Sprintf("topic %s to show %d partitions", topic, partitions), func() bool {
		md, err := client.Metadata(context.Background(), &kafkago.MetadataRequest{Topics: []string{topic}})
		return err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) == partitions
	})
}

// committedAndEnd returns, per partition, the group's committed offset and
// the partition's end offset as the broker reports them.
func (b *testBroker) committedAndEnd(group, topic string, partitions int) (committed, end map[int]int64) {
	b.t.Helper()
	tr := b.transport()
	defer tr.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(b.addrs...), Timeout: 30 * time.Second, Transport: tr}
	ids := make([]int, partitions)
	var reqs []kafkago.OffsetRequest
	for p := range partitions {
		ids[p] = p
		reqs = append(reqs, kafkago.LastOffsetOf(p))
	}
	fetched, err := client.OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
	if err != nil {
		b.t.Fatalf("offset fetch: %v", err)
	}
	listed, err := client.ListOffsets(context.Background(), &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		b.t.Fatalf("list offsets: %v", err)
	}
	committed, end = map[int]int64{}, map[int]int64{}
	for _, p := range fetched.Topics[topic] {
		committed[p.Partition] = p.CommittedOffset
	}
	for _, p := range listed.Topics[topic] {
		end[p.Partition] = p.LastOffset
	}
	return committed, end
}
