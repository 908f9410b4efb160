//go:build !brokerfree

package publish

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
)

// TestLettersNearTheLimitAreNotRefusedTogether: letters that each fit the
// broker's limit (message.max.bytes, 1,048,588 by default), written at
// once to one partition — dead letters of several workers, or of several
// source partitions — are all stored: kafka-go would otherwise batch them
// into one request the broker refuses as a whole, for every letter in it,
// and a partition would stay blocked while the writes kept colliding.
func TestLettersNearTheLimitAreNotRefusedTogether(t *testing.T) {
	c := embedded.NewCluster(nil, embedded.Config{Topics: []string{"orders.dlq"}, Partitions: 1}, 5*time.Second, zap.NewNop())
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Stop(context.Background()) }()
	p := NewProducer("letters")
	p.Open(c.Addrs(), conn.Settings{}, LetterOptions("test-letters", false))
	defer func() { _ = p.Close(5 * time.Second) }()

	const letters, size = 4, 1_046_000 // each just under the limit, incompressible
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	values := make([][]byte, letters)
	for i := range values {
		values[i] = make([]byte, size)
		_, _ = rand.Read(values[i])
	}
	// All at once, as workers writing their letters at the same moment.
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, letters)
	for i, value := range values {
		wg.Go(func() {
			<-start
			errs[i] = p.Write(ctx, kafkago.Message{Topic: "orders.dlq", Value: value})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("letter %d of %d written at once: %v", i, letters, err)
		}
	}
}
