package publish

import (
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// TestLetterOptions: a letter writer compresses, lets requests reach
// 16 MiB so that the broker decides whether a letter fits, and sends each
// letter in a request of its own; its writer takes all three.
func TestLetterOptions(t *testing.T) {
	o := LetterOptions("orders-letters", true)
	want := ProducerOptions{ClientID: "orders-letters", AutoCreateTopics: true, Compression: kafkago.Lz4, BatchBytes: 16 << 20, BatchSize: 1}
	if o != want {
		t.Fatalf("letter options %+v, want %+v", o, want)
	}
	p := NewProducer("letters")
	p.Open([]string{"127.0.0.1:1"}, conn.Settings{}, o)
	defer func() { _ = p.Close(time.Second) }()
	if p.writer.BatchSize != 1 || p.writer.BatchBytes != 16<<20 || p.writer.Compression != kafkago.Lz4 {
		t.Fatalf("writer batch size %d, batch bytes %d, compression %v", p.writer.BatchSize, p.writer.BatchBytes, p.writer.Compression)
	}
	p2 := NewProducer("publisher")
	p2.Open([]string{"127.0.0.1:1"}, conn.Settings{}, ProducerOptions{})
	defer func() { _ = p2.Close(time.Second) }()
	if p2.writer.BatchSize != 1000 {
		t.Fatalf("default batch size %d, want 1000", p2.writer.BatchSize)
	}
}
