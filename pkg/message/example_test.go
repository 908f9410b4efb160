package message_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// A handler decodes its input and marks what no retry can fix as
// Permanent: the framework then dead-letters the message at once instead
// of retrying it. Any other error is retried.
func ExampleHandlerFunc() {
	type order struct {
		ID string `json:"id"`
	}
	var downstreamUp bool
	h := message.HandlerFunc(func(ctx context.Context, m *message.Message) error {
		var o order
		if err := json.Unmarshal(m.Value, &o); err != nil {
			return message.Permanent(fmt.Errorf("decode order at offset %d: %w", m.Offset, err))
		}
		if !downstreamUp {
			return errors.New("downstream unavailable") // transient: retried
		}
		return nil
	})
	for _, v := range []string{`{"id":"o-1"}`, `not json`} {
		err := h.Handle(context.Background(), &message.Message{Topic: "orders", Offset: 7, Value: []byte(v)})
		fmt.Printf("%s: permanent=%v: %v\n", v, message.IsPermanent(err), err)
	}
	// Output:
	// {"id":"o-1"}: permanent=false: downstream unavailable
	// not json: permanent=true: decode order at offset 7: invalid character 'o' in literal null (expecting 'u')
}

// A batch handler fails only some of its messages with a *BatchError; the
// others are done and never passed again.
func ExampleBatchError() {
	h := message.BatchHandlerFunc(func(ctx context.Context, msgs []*message.Message) error {
		failed := map[int]error{}
		for i, m := range msgs {
			if len(m.Value) == 0 {
				failed[i] = message.Permanent(errors.New("empty order"))
			}
		}
		if len(failed) > 0 {
			return &message.BatchError{Failed: failed}
		}
		return nil
	})
	err := h.HandleBatch(context.Background(), []*message.Message{{Value: []byte("a")}, {}, {Value: []byte("c")}})
	fmt.Println(err)
	// Output:
	// 1 of the batch failed: [1] empty order
}
