package message

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestChainRunsFirstMiddlewareOutermost(t *testing.T) {
	var trace []string
	mw := func(name string) Middleware {
		return func(next Call) Call {
			return func(ctx context.Context, msgs []*Message) error {
				trace = append(trace, name+">")
				err := next(ctx, msgs)
				trace = append(trace, "<"+name)
				return err
			}
		}
	}
	c := Chain(func(context.Context, []*Message) error {
		trace = append(trace, "handler")
		return nil
	}, mw("a"), mw("b"))
	if err := c(context.Background(), []*Message{{}}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]string{"a>", "b>", "handler", "<b", "<a"})
	if got := fmt.Sprint(trace); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

func TestPermanentSurvivesWrapping(t *testing.T) {
	base := errors.New("bad json")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"permanent", Permanent(base), true},
		{"wrapped permanent", fmt.Errorf("decode: %w", Permanent(base)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPermanent(tt.err); got != tt.want {
				t.Fatalf("IsPermanent = %v, want %v", got, tt.want)
			}
		})
	}
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) must be nil")
	}
	if !errors.Is(Permanent(base), base) {
		t.Fatal("Permanent must unwrap to its cause")
	}
}

func TestHeaderReturnsTheFirstOfItsName(t *testing.T) {
	m := &Message{Headers: []Header{{Key: "h", Value: []byte("123")}, {Key: "h", Value: []byte("456")}}}
	if v, ok := m.Header("h"); !ok || string(v) != "123" {
		t.Fatalf("Header = %q, %v", v, ok)
	}
	if _, ok := m.Header("missing"); ok {
		t.Fatal("missing header reported present")
	}
}
