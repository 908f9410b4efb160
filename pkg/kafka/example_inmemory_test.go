package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// The engine's own partition run, with no broker: each message's outcome
// is decided as on Kafka. A passing failure is retried after its backoff,
// a permanent one goes to the dead-letter topic without another attempt.
func ExampleRunInMemory() {
	calls := map[string]int{}
	payments := registry.Handler("payments", message.HandlerFunc(func(_ context.Context, m *message.Message) error {
		calls[string(m.Key)]++
		switch {
		case string(m.Value) == "garbage":
			return message.Permanent(errors.New("not a payment"))
		case string(m.Key) == "p-2" && calls["p-2"] == 1:
			return errors.New("bank timeout")
		}
		return nil
	}))
	handlers, err := registry.New(payments)
	if err != nil {
		fmt.Println(err)
		return
	}
	sub := registry.Subscription{Topic: "payments", Handler: "payments", Ordering: registry.OrderingPartition,
		Retry:      registry.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
		DeadLetter: registry.DeadLetterConfig{Enabled: true}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	deliveries, err := kafka.RunInMemory(ctx, kafka.DefaultConfig(), handlers, sub, []message.Message{
		{Key: []byte("p-1"), Value: []byte("10 EUR")},
		{Key: []byte("p-2"), Value: []byte("20 EUR")},
		{Key: []byte("p-3"), Value: []byte("garbage")},
	}, zap.NewNop())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range deliveries {
		fmt.Printf("%s@%d %s after %d attempt(s)", d.Message.Key, d.Message.Offset, d.Outcome, d.Attempts)
		if d.Letter != nil {
			fmt.Printf(", letter to %s", d.Letter.Topic)
		}
		fmt.Println()
	}
	// Output:
	// p-1@0 success after 1 attempt(s)
	// p-2@1 retried after 2 attempt(s)
	// p-3@2 dead_lettered after 1 attempt(s), letter to payments.dlq
}
