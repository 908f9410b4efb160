package message

import (
	"context"
	"fmt"
	"testing"
)

type nopBatch struct{}

func (nopBatch) HandleBatch(context.Context, []*Message) error { return nil }

func TestRegistryLooksUpByKind(t *testing.T) {
	r := NewRegistry().
		Add("single", HandlerFunc(func(context.Context, *Message) error { return nil })).
		AddBatch("batch", nopBatch{})
	if _, ok := r.Handler("single"); !ok {
		t.Fatal("single handler not found")
	}
	if _, ok := r.BatchHandler("batch"); !ok {
		t.Fatal("batch handler not found")
	}
	if _, ok := r.Handler("batch"); ok {
		t.Fatal("a batch handler must not be returned as a per-message handler")
	}
	if got := fmt.Sprint(r.Names()); got != "[batch single]" {
		t.Fatalf("Names = %s", got)
	}
}

func TestRegistryRejectsDuplicateName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate name did not panic")
		}
	}()
	NewRegistry().AddBatch("x", nopBatch{}).Add("x", HandlerFunc(func(context.Context, *Message) error { return nil }))
}
