package contender

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// kafkaGoMaxWait is how long the plain Reader's fetch waits on an idle
// partition: the engine's default fetch_max_wait, as the repository's own
// comparison (pkg/kafka's BenchmarkNoopThroughputVsKafkaGo) sets it.
const kafkaGoMaxWait = time.Second

// kafkaGoReader is the plain kafka-go loop every ratio is taken against:
// a group Reader, FetchMessage, CommitMessages batched every
// CommitInterval by the Reader; Close makes the final commit.
func kafkaGoReader(ctx context.Context, s Spec, sw *Stopwatch) (err error) {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: s.Brokers, GroupID: s.Group, Topic: s.Topic,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: kafkaGoMaxWait,
		CommitInterval: CommitInterval, StartOffset: kafkago.FirstOffset,
	})
	defer func() {
		if cerr := r.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("kafka-go close: %w", cerr))
		}
	}()
	for !sw.Finished() {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("kafka-go fetch: %w", err)
		}
		handle(sw, s.HandlerDelay)
		if err := r.CommitMessages(ctx, m); err != nil { // batched: CommitInterval > 0
			return fmt.Errorf("kafka-go commit: %w", err)
		}
	}
	return nil
}
