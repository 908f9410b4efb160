package consumerkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

var nameSeq atomic.Int64

// realBrokers returns the brokers named by KAFKA_BROKERS, or nil: then the
// service runs on its embedded broker.
func realBrokers() []string {
	env := os.Getenv("KAFKA_BROKERS")
	if env == "" {
		return nil
	}
	var brokers []string
	for _, b := range strings.Split(env, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	return brokers
}

// onRealCluster points cfg at brokers with names unique to this test: its
// own consumer group, and its own input, output and dead-letter topics,
// created here with the embedded broker's partition count. Demo faults
// are allowed (the cluster is the test's). The service's demo producer
// runs only on the embedded broker, so the returned feed produces the demo
// orders instead, at cfg.Demo.Rate with cfg.Demo.BadRate malformed, once
// started. A broker that cannot be reached fails the test; nothing skips.
func onRealCluster(t *testing.T, cfg *appConfig, brokers []string) *orderFeed {
	t.Helper()
	conn, err := net.DialTimeout("tcp", brokers[0], 10*time.Second)
	if err != nil {
		t.Fatalf("KAFKA_BROKERS %v unreachable (unset it to use the embedded broker): %v", brokers, err)
	}
	_ = conn.Close()

	suffix := fmt.Sprintf("%d-%d-%d", os.Getpid(), time.Now().UnixNano(), nameSeq.Add(1))
	in, out := "orders-"+suffix, "orders-"+suffix+".enriched"
	dlq := in + ".dlq"
	for i := range cfg.Kafka.Subscriptions {
		sub := &cfg.Kafka.Subscriptions[i]
		if sub.Topic != cfg.Service.InputTopic {
			continue
		}
		sub.Topic = in
		if sub.DeadLetter.Enabled {
			sub.DeadLetter.Topic = dlq
		}
	}
	cfg.Service.InputTopic, cfg.Service.OutputTopic = in, out
	cfg.Service.AllowDemoFault = true
	cfg.Kafka.Brokers = brokers
	cfg.Kafka.GroupID = "consumerkit-root-" + suffix

	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 30 * time.Second, Transport: &kafkago.Transport{}}
	defer client.Transport.(*kafkago.Transport).CloseIdleConnections()
	partitions := cfg.Kafka.Embedded.Partitions
	var topics []kafkago.TopicConfig
	for _, name := range []string{in, out, dlq} {
		topics = append(topics, kafkago.TopicConfig{Topic: name, NumPartitions: partitions, ReplicationFactor: 1})
	}
	res, err := client.CreateTopics(context.Background(), &kafkago.CreateTopicsRequest{Topics: topics})
	if err != nil {
		t.Fatalf("create topics: %v", err)
	}
	for _, tc := range topics {
		if err := res.Errors[tc.Topic]; err != nil {
			t.Fatalf("create topic %s: %v", tc.Topic, err)
		}
		consumertest.Eventually(t, "topic "+tc.Topic+" to have a leader per partition", func() bool {
			md, err := client.Metadata(context.Background(), &kafkago.MetadataRequest{Topics: []string{tc.Topic}})
			if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != partitions {
				return false
			}
			for _, p := range md.Topics[0].Partitions {
				if p.Error != nil || p.Leader.Host == "" {
					return false
				}
			}
			return true
		})
	}
	return &orderFeed{t: t, brokers: brokers}
}

// orderFeed stands in for the demo producer on a real cluster: the same
// orders (service.DemoOrders), the same rate, the same malformed share.
type orderFeed struct {
	t       *testing.T
	brokers []string
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	failed  atomic.Int64
	lastErr atomic.Value // error
}

// start produces until stop.
func (f *orderFeed) start(cfg appConfig) {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	orders := service.NewDemoOrders(cfg.Service)
	tr := &kafkago.Transport{}
	w := &kafkago.Writer{Addr: kafkago.TCP(f.brokers...), Topic: orders.Topic(), Balancer: kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll, BatchTimeout: 5 * time.Millisecond, BatchSize: 1000, Transport: tr}
	rate, bad := cfg.Demo.Rate, cfg.Demo.MalformedShare(cfg.Service.DemoFault)
	f.wg.Go(func() {
		defer tr.CloseIdleConnections()
		defer w.Close()
		const tick = 50 * time.Millisecond
		tk := time.NewTicker(tick)
		defer tk.Stop()
		began := time.Now()
		var seq uint64
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
			due := uint64(time.Since(began).Seconds() * float64(rate))
			var batch []kafkago.Message
			for ; seq < due; seq++ {
				m, _ := demoOrder(orders, seq, bad)
				batch = append(batch, m)
			}
			if len(batch) == 0 {
				continue
			}
			if err := w.WriteMessages(ctx, batch...); err != nil && !errors.Is(err, context.Canceled) {
				f.failed.Add(1)
				f.lastErr.Store(err)
			}
		}
	})
}

// stop ends production; a write that failed fails the test.
func (f *orderFeed) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.wg.Wait()
	f.cancel = nil
	if n := f.failed.Load(); n > 0 {
		f.t.Errorf("order feed: %d writes failed, last: %v", n, f.lastErr.Load())
	}
}

// demoOrder is the demo producer's order number seq, cut in half (malformed)
// for the demo producer's deterministic, evenly spread share bad.
func demoOrder(orders *service.DemoOrders, seq uint64, bad float64) (m kafkago.Message, malformed bool) {
	k, v := orders.Next(seq)
	if bad > 0 && (seq*2654435761)%1_000_000 < uint64(bad*1_000_000) {
		return kafkago.Message{Key: k, Value: v[:len(v)/2]}, true
	}
	return kafkago.Message{Key: k, Value: v}, false
}

// produceOrders writes exactly n demo orders to the app's input topic
// (malformed at the share the demo producer would use)
// and returns how many were malformed. Tests that count every outcome use
// it with the demo producer off.
func (s *runningApp) produceOrders(n int) (malformed int) {
	s.t.Helper()
	orders := service.NewDemoOrders(s.cfg.Service)
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafkago.Writer{Addr: kafkago.TCP(s.brokers...), Topic: s.topic, Balancer: kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll, BatchTimeout: 5 * time.Millisecond, BatchSize: 1000, Transport: tr}
	defer w.Close()
	batch := make([]kafkago.Message, 0, n)
	for seq := range uint64(n) {
		m, bad := demoOrder(orders, seq, s.cfg.Demo.MalformedShare(s.cfg.Service.DemoFault))
		if bad {
			malformed++
		}
		batch = append(batch, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	if err := w.WriteMessages(ctx, batch...); err != nil {
		s.t.Fatalf("produce %d orders to %s: %v", n, s.topic, err)
	}
	return malformed
}
