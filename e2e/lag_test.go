//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// ourLag reads kafka_consumer_lag per partition of topic from /metrics.
func ourLag(t *testing.T, admin, topic string) map[int]int64 {
	t.Helper()
	out := map[int]int64{}
	for _, s := range consumertest.Samples(t, consumertest.Scrape(t, "http://"+admin+"/metrics"), "kafka_consumer_lag", map[string]string{"topic": topic}) {
		p, err := strconv.Atoi(s.Labels["partition"])
		if err != nil {
			t.Fatalf("kafka_consumer_lag with partition %q: %v", s.Labels["partition"], err)
		}
		out[p] = int64(s.Value)
	}
	return out
}

// TestLagMatchesKafkaConsumerGroupCommand: with a backlog that a slow
// downstream keeps (the slow demo fault, allowed on the real broker), the
// lag the service reports from its own bookkeeping agrees, partition by
// partition, with the lag Kafka's own ConsumerGroupCommand reports —
// within what one commit interval and the tool's start-up can move.
func TestLagMatchesKafkaConsumerGroupCommand(t *testing.T) {
	e := requireEnv(t)
	bin := buildBinary(t)
	suffix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	topic, group := "orders-lag-"+suffix, "lag-"+suffix
	var lines []string
	for i := range 4000 {
		customer := fmt.Sprintf("c-%05d", i%500+1)
		v, _ := json.Marshal(order{ID: fmt.Sprintf("o-%d", i), CustomerID: customer, AmountCents: 100, CreatedAt: "2026-11-22T12:00:00Z"})
		lines = append(lines, customer+"|"+string(v))
	}
	produceWithKcat(t, e, topic, lines)

	// A configured subscription replaces the example's default whole, so
	// the slow fault's small batches are set here: behind its 800ms write,
	// batches of 10 commit about 12 messages a second per partition, while
	// batches of 100 would move the committed offset in jumps of 100.
	cfgFile := filepath.Join(t.TempDir(), "consumer.yaml")
	cfg := fmt.Sprintf("kafka:\n  group_id: %s\n  subscriptions:\n    - {topic: %s, handler: orders-enricher, ordering: partition, batch: {size: 10, linger: 200ms}}\nservice:\n  input_topic: %s\n  output_topic: %s.enriched\n",
		group, topic, topic, topic)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	consumer := startConsumer(t, e, bin, "run", "--config", cfgFile, "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0", "--demo-fault", "slow", "--allow-demo-fault")
	admin := consumer.adminAddr(t)

	// Compare once both sides report every partition with a backlog.
	var ours, theirs map[int]int64
	consumertest.Eventually(t, "both lag reports", func() bool {
		consumer.running(t)
		ours = ourLag(t, admin, topic)
		theirs, _ = groupLag(t, e, group, topic)
		if len(ours) == 0 || len(ours) != len(theirs) {
			return false
		}
		for p, lag := range theirs {
			if lag <= 0 || ours[p] <= 0 {
				return false
			}
		}
		return true
	})
	// Between the two reads the slow consumer commits about 12 messages a
	// second per partition, and the tool's JVM takes a second or two.
	for p, lag := range theirs {
		if d := ours[p] - lag; d > 100 || d < -100 {
			t.Errorf("partition %d: our lag %d, ConsumerGroupCommand %d", p, ours[p], lag)
		}
	}
	t.Logf("lag per partition, ours vs ConsumerGroupCommand: %v vs %v", ours, theirs)
	consumer.stop(t)
}
