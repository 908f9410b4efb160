package conn_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// A close that hangs (a kafka-go Close on a broken connection) does not
// hang the shutdown: CloseWithin gives up after its bound and says so,
// leaving the close to finish on its own.
func ExampleCloseWithin() {
	fmt.Println(conn.CloseWithin(time.Second, "reader orders/0", func() error { return nil }))
	fmt.Println(conn.CloseWithin(time.Second, "reader orders/1", func() error { return errors.New("connection reset") }))

	broken := make(chan struct{})
	closed := make(chan struct{})
	fmt.Println(conn.CloseWithin(10*time.Millisecond, "reader orders/2", func() error {
		defer close(closed)
		<-broken // blocks until the connection finally breaks
		return nil
	}))
	close(broken)
	<-closed
	// Output:
	// <nil>
	// close reader orders/1: connection reset
	// close reader orders/2: still blocked after 10ms; abandoned
}

// During a stop with its own deadline, each close gets what is left of it
// when that is less than its usual bound.
func ExampleRemaining() {
	fmt.Println(conn.Remaining(context.Background(), 5*time.Second))
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	fmt.Println(conn.Remaining(ctx, 5*time.Second)) // past its deadline: one short try
	// Output:
	// 5s
	// 1ms
}
