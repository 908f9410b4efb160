package delivery

import (
	"errors"
	"fmt"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/message"
)

func TestErrorAtSeparatesBatchFailures(t *testing.T) {
	bad := errors.New("bad")
	be := &message.BatchError{Failed: map[int]error{1: bad}}
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
