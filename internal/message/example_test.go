package message_test

import (
	"context"
	"fmt"

	"github.com/consumerkit/consumerkit/internal/message"
)

func ExampleChain() {
	logging := func(next message.Handler) message.Handler {
		return message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
			err := next.Handle(ctx, m)
			fmt.Printf("%s/%d@%d: %v\n", m.Topic, m.Partition, m.Offset, err)
			return err
		})
	}
	h := message.Chain(message.HandlerFunc(func(context.Context, *message.Message) error { return nil }), logging)
	_ = h.Handle(context.Background(), &message.Message{Topic: "orders", Partition: 0, Offset: 42})
	// Output: orders/0@42: <nil>
}
