package contender

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
)

// watermillMarkGrace is how long the watermill contender waits after
// acknowledging its last message before it closes: the subscriber marks
// an acknowledged offset in its own goroutine, after the Ack returns, and
// a close in between would leave that offset uncommitted. It is outside
// the measured span.
const watermillMarkGrace = 200 * time.Millisecond

// watermillKafka is a watermill-kafka v3 subscriber in a consumer group
// (sarama underneath, configured as saramaGroup is), acknowledging each
// message after handling it; its close commits what was acknowledged.
func watermillKafka(ctx context.Context, s Spec, sw *Stopwatch) (err error) {
	cfg := wmkafka.DefaultSaramaSubscriberConfig()
	base := saramaConfig()
	cfg.Version, cfg.Consumer.Offsets = base.Version, base.Consumer.Offsets
	sub, err := wmkafka.NewSubscriber(wmkafka.SubscriberConfig{
		Brokers: s.Brokers, Unmarshaler: wmkafka.DefaultMarshaler{},
		OverwriteSaramaConfig: cfg, ConsumerGroup: s.Group,
	}, watermill.NopLogger{})
	if err != nil {
		return fmt.Errorf("watermill subscriber: %w", err)
	}
	defer func() {
		if cerr := sub.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("watermill close: %w", cerr))
		}
	}()
	msgs, err := sub.Subscribe(ctx, s.Topic)
	if err != nil {
		return fmt.Errorf("watermill subscribe: %w", err)
	}
	for !sw.Finished() {
		select {
		case m, ok := <-msgs:
			if !ok {
				return fmt.Errorf("watermill: subscription closed after %d messages", sw.Count())
			}
			handle(sw, s.HandlerDelay)
			m.Ack()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	time.Sleep(watermillMarkGrace)
	return nil
}
