package middleware

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// TestRecoverTurnsAPanicIntoAnErrorWithoutTheStack: the panic becomes a
// *lifecycle.PanicError counted once; its text names the panic and stays
// short however deep the stack, which it keeps for the log.
func TestRecoverTurnsAPanicIntoAnErrorWithoutTheStack(t *testing.T) {
	var deep func(n int)
	deep = func(n int) {
		if n == 0 {
			panic("nil map in order 7")
		}
		deep(n - 1)
	}
	panics := 0
	call := message.Chain(func(context.Context, []*message.Message) error { deep(500); return nil },
		Recover(func() { panics++ }))
	err := call(context.Background(), []*message.Message{{}})
	var pe *lifecycle.PanicError
	if !errors.As(err, &pe) || panics != 1 || message.IsPermanent(err) {
		t.Fatalf("err %v, panics %d: want one transient *lifecycle.PanicError", err, panics)
	}
	if err.Error() != "handler panicked: nil map in order 7" {
		t.Fatalf("error text %q must name the panic and nothing else", err.Error())
	}
	if len(pe.Stack) < 10_000 || !strings.Contains(string(pe.Stack), "TestRecoverTurnsAPanicIntoAnErrorWithoutTheStack") {
		t.Fatalf("stack of %d bytes does not reach the panic", len(pe.Stack))
	}
}

func TestRecoverPassesResultsThrough(t *testing.T) {
	boom := errors.New("boom")
	for _, want := range []error{nil, boom} {
		call := message.Chain(func(context.Context, []*message.Message) error { return want }, Recover(nil))
		if got := call(context.Background(), nil); got != want {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
