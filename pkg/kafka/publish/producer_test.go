package publish

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/metadata"
	"github.com/segmentio/kafka-go/protocol/produce"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// TestProducerOptionsShapeTheWriter: the writer Open creates names its
// client, compresses and sizes its requests as asked, partitions keys as
// Java clients do, and asks every in-sync replica to acknowledge. Opening
// dials nothing.
func TestProducerOptionsShapeTheWriter(t *testing.T) {
	p := NewProducer("test")
	p.Open([]string{"127.0.0.1:1"}, conn.Settings{}, ProducerOptions{ClientID: "orders-letters", AutoCreateTopics: true, Compression: kafkago.Lz4, BatchBytes: 16 << 20})
	defer func() { _ = p.Close(time.Second) }()
	if p.transport.ClientID != "orders-letters" {
		t.Errorf("client id %q, want orders-letters", p.transport.ClientID)
	}
	w := p.writer
	if w.Compression != kafkago.Lz4 || w.BatchBytes != 16<<20 || !w.AllowAutoTopicCreation {
		t.Errorf("writer compression %v, batch bytes %d, auto-create %v", w.Compression, w.BatchBytes, w.AllowAutoTopicCreation)
	}
	if w.RequiredAcks != kafkago.RequireAll {
		t.Errorf("acks %v, want all", w.RequiredAcks)
	}
	if _, ok := w.Balancer.(kafkago.Murmur2Balancer); !ok {
		t.Errorf("balancer %T, want murmur2", w.Balancer)
	}
}

// produceAcks records the acks of every produce request, by topic.
type produceAcks struct {
	mu   sync.Mutex
	acks map[string][]int16
}

func (p *produceAcks) add(topic string, acks int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.acks == nil {
		p.acks = map[string][]int16{}
	}
	p.acks[topic] = append(p.acks[topic], acks)
}

func (p *produceAcks) of(topic string) []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acks[topic])
}

// errObserved ends every request an observingTransport sees: no broker is
// needed to see what the writer asks for.
var errObserved = errors.New("observed, not sent")

// observingTransport records the acks of produce requests (what the writer
// asks the broker for, on any broker) and sends nothing: it answers
// metadata requests with one broker leading partition 0 of every topic
// asked about, and fails every other request.
type observingTransport struct{ seen *produceAcks }

func (o observingTransport) RoundTrip(_ context.Context, _ net.Addr, req kafkago.Request) (kafkago.Response, error) {
	switch r := req.(type) {
	case *metadata.Request:
		res := &metadata.Response{Brokers: []metadata.ResponseBroker{{NodeID: 0, Host: "127.0.0.1", Port: 1}}}
		for _, topic := range r.TopicNames {
			res.Topics = append(res.Topics, metadata.ResponseTopic{Name: topic,
				Partitions: []metadata.ResponsePartition{{PartitionIndex: 0, LeaderID: 0, ReplicaNodes: []int32{0}, IsrNodes: []int32{0}}}})
		}
		return res, nil
	case *produce.Request:
		for _, t := range r.Topics {
			o.seen.add(t.Topic, r.Acks)
		}
	}
	return nil, errObserved
}

// TestProducerAsksEveryInSyncReplica: every produce request a producer's
// writer sends asks for acks=all (-1): a write returns only once every
// in-sync replica has it. (The engine's dead letters and retry-topic
// letters go through a Producer; on the embedded broker the engine's
// TestLettersAreWrittenWithAcksAll sees the same on the wire.)
func TestProducerAsksEveryInSyncReplica(t *testing.T) {
	p := NewProducer("test")
	p.Open([]string{"127.0.0.1:1"}, conn.Settings{}, ProducerOptions{ClientID: "test"})
	defer func() { _ = p.Close(time.Second) }()
	var asked produceAcks
	p.mu.Lock()
	p.writer.Transport = observingTransport{seen: &asked}
	p.writer.MaxAttempts = 1
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Write(ctx, kafkago.Message{Topic: "orders", Value: []byte("x")}); err == nil {
		t.Fatal("a write whose every request failed succeeded")
	}
	acks := asked.of("orders")
	if len(acks) == 0 {
		t.Fatal("no produce request asked of the transport")
	}
	for _, a := range acks {
		if a != -1 {
			t.Fatalf("produce requests have acks %v, want -1 (all)", acks)
		}
	}
}

// TestProducerWritesOnlyWhileOpen: before Open and after Close a write
// fails with ErrNotStarted, naming the producer; closing twice is fine.
func TestProducerWritesOnlyWhileOpen(t *testing.T) {
	p := NewProducer("letters")
	if err := p.Write(context.Background(), kafkago.Message{Topic: "t"}); !errors.Is(err, ErrNotStarted) || err.Error() != "letters: not started" {
		t.Fatalf("write before open: %v", err)
	}
	p.Open([]string{"127.0.0.1:1"}, conn.Settings{}, ProducerOptions{})
	if err := p.Close(time.Second); err != nil {
		t.Fatalf("close of a writer that never wrote: %v", err)
	}
	if err := p.Write(context.Background(), kafkago.Message{Topic: "t"}); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("write after close: %v", err)
	}
	if err := p.Close(time.Second); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// addrs is a fixed broker list.
type addrs []string

func (a addrs) Addrs() []string { return slices.Clone(a) }

// TestPublishNeedsATopicPerMessage: a message without a topic fails the
// whole Publish, naming its index, and nothing is written.
func TestPublishNeedsATopicPerMessage(t *testing.T) {
	pub := NewPublisher(Config{ClientID: "test", CloseTimeout: time.Second}, addrs{"127.0.0.1:1"})
	if err := pub.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Stop(context.Background()) }()
	var asked produceAcks
	pub.p.mu.Lock()
	pub.p.writer.Transport = observingTransport{seen: &asked}
	pub.p.mu.Unlock()
	err := pub.Publish(context.Background(), message.Message{Topic: "orders", Value: []byte("a")}, message.Message{Value: []byte("b")})
	if !errors.Is(err, ErrNoTopic) || err.Error() != "publish message 1: message has no topic" {
		t.Fatalf("publish without a topic: %v", err)
	}
	if got := asked.of("orders"); len(got) != 0 {
		t.Fatalf("the message with a topic was sent anyway: %v", got)
	}
}

// TestPublisherStartRejectsUnreadableTLSFiles: a publisher whose TLS files
// cannot be read fails its Start, naming the setting.
func TestPublisherStartRejectsUnreadableTLSFiles(t *testing.T) {
	pub := NewPublisher(Config{TLS: conn.TLSConfig{Enabled: true, CAFile: t.TempDir() + "/missing.pem"}}, addrs{"127.0.0.1:1"})
	if err := pub.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "kafka.tls.ca_file") {
		t.Fatalf("start: %v", err)
	}
	if err := pub.Stop(context.Background()); err != nil {
		t.Fatalf("stop of a publisher that never started: %v", err)
	}
}
