package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

// A task that panics does not crash the process: the group reports it as
// a *PanicError naming the task, and Failed tells whoever supervises the
// group (the process then shuts down in order).
func ExampleGroup_Failed() {
	g := lifecycle.NewGroup("example")
	_ = g.Go("refresh", func(context.Context) error {
		var cache map[string]int
		cache["k"] = 1 // a nil map: panics
		return nil
	})
	<-g.Failed()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("stopped:", g.Stop(ctx))
	var pe *lifecycle.PanicError
	fmt.Println(errors.As(g.Err(), &pe), pe.What)
	first, _, _ := strings.Cut(g.Err().Error(), "\n") // the stack follows
	fmt.Println(first)
	// Output:
	// stopped: <nil>
	// true task refresh
	// example: task refresh panicked: assignment to entry in nil map
}
