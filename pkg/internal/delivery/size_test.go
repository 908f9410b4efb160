package delivery

import (
	"testing"

	"github.com/consumerkit/consumerkit/pkg/message"
)

func TestSizeCountsKeyValueAndHeaders(t *testing.T) {
	m := &message.Message{Key: []byte("k"), Value: []byte("vv"), Headers: []message.Header{{Key: "h", Value: []byte("123")}, {Key: "hh"}}}
	if got := Size(m); got != 1+2+1+3+2 {
		t.Fatalf("Size = %d", got)
	}
}
