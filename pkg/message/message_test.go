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

func TestErrorAtSeparatesBatchFailures(t *testing.T) {
	bad := errors.New("bad")
	be := &BatchError{Failed: map[int]error{1: bad}}
	wrapped := fmt.Errorf("sink: %w", be)
	if ErrorAt(wrapped, 0) != nil || ErrorAt(wrapped, 1) != bad {
		t.Fatal("BatchError must fail only the listed index")
	}
	whole := errors.New("broker down")
	if ErrorAt(whole, 0) != whole || ErrorAt(whole, 5) != whole {
		t.Fatal("a plain error fails every message")
	}
	if ErrorAt(nil, 0) != nil {
		t.Fatal("nil fails nothing")
	}
}

func TestHeaderAndSize(t *testing.T) {
	m := &Message{Key: []byte("k"), Value: []byte("vv"), Headers: []Header{{Key: "h", Value: []byte("123")}}}
	if v, ok := m.Header("h"); !ok || string(v) != "123" {
		t.Fatalf("Header = %q, %v", v, ok)
	}
	if _, ok := m.Header("missing"); ok {
		t.Fatal("missing header reported present")
	}
	if got := m.Size(); got != 1+2+1+3 {
		t.Fatalf("Size = %d", got)
	}
}
