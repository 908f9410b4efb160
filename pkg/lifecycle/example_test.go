package lifecycle_test

import (
	"context"
	"fmt"
	"time"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

func ExampleGroup() {
	g := lifecycle.NewGroup("example")
	_ = g.Go("ticker", func(ctx context.Context) error {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(g.Stop(ctx), g.Err())
	// Output: <nil> <nil>
}
