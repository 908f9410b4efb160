package scaffold

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

func TestHandlerValidateRefusesWhatTheEngineWould(t *testing.T) {
	ok := Handler{Name: "payment-audit", Topic: "payments"}
	tests := []struct {
		name string
		edit func(*Handler)
		why  string
	}{
		{"invalid name", func(h *Handler) { h.Name = "PaymentAudit" }, `handler name "PaymentAudit": must be kebab-case`},
		{"invalid topic", func(h *Handler) { h.Topic = "pay/ments" }, `topic "pay/ments": '/' is not allowed`},
		{"no topic", func(h *Handler) { h.Topic = "" }, "topic: must not be empty"},
		{"a retry topic too long", func(h *Handler) { h.Topic = strings.Repeat("t", 244) }, "its dead-letter or retry topic would be too long"},
		{"workers in partition order", func(h *Handler) { h.Workers = 8 }, "--workers 8: partition ordering has one worker per partition"},
		{"workers in explicit partition order", func(h *Handler) { h.Ordering, h.Workers = "partition", 1 }, "--workers 1: partition ordering"},
		{"negative workers", func(h *Handler) { h.Ordering, h.Workers = "key", -1 }, "--workers -1: must be between 1 and 1024"},
		{"too many workers", func(h *Handler) { h.Ordering, h.Workers = "none", 1025 }, "--workers 1025: must be between 1 and 1024"},
		{"batch in key order", func(h *Handler) { h.Ordering, h.Batch = "key", true }, "--batch with --ordering key: a batch is a run of one partition's messages"},
		{"batch in no order", func(h *Handler) { h.Ordering, h.Batch = "none", true }, "--batch with --ordering none"},
		{"unknown ordering", func(h *Handler) { h.Ordering = "offset" }, `--ordering "offset": must be partition, key or none`},
		{"batch with a retry topic", func(h *Handler) { h.Batch, h.RetryTopic = true, true }, "--retry-topic with --batch: a retry topic needs a per-message handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := ok
			tt.edit(&h)
			if err := h.Validate(); err == nil || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("%+v: %v, want an error saying %q", h, err, tt.why)
			}
		})
	}
	for _, h := range []Handler{ok, {Name: "a", Topic: strings.Repeat("t", 243)}, {Name: "a", Topic: "t", Ordering: "key", Workers: 1024},
		{Name: "a", Topic: "t", Ordering: "none"}, {Name: "a", Topic: "t", Batch: true, Ordering: "partition"}, {Name: "a", Topic: "t", RetryTopic: true}} {
		if err := h.Validate(); err != nil {
			t.Errorf("%+v: %v", h, err)
		}
	}
}

func TestHandlerSubscriptionIsWhatItsOptionsSay(t *testing.T) {
	retry := registry.DefaultRetryPolicy()
	dlq := registry.DeadLetterConfig{Enabled: true}
	tests := []struct {
		h    Handler
		want registry.Subscription
	}{
		{Handler{Name: "a", Topic: "t"},
			registry.Subscription{Topic: "t", Handler: "a", Ordering: registry.OrderingPartition, Retry: retry, DeadLetter: dlq}},
		{Handler{Name: "a", Topic: "t", Batch: true},
			registry.Subscription{Topic: "t", Handler: "a", Ordering: registry.OrderingPartition, Retry: retry, DeadLetter: dlq,
				Batch: registry.BatchConfig{Size: 100, Linger: 200 * time.Millisecond}}},
		{Handler{Name: "a", Topic: "t", Ordering: "key"},
			registry.Subscription{Topic: "t", Handler: "a", Ordering: registry.OrderingKey, Workers: 4, Retry: retry, DeadLetter: dlq}},
		{Handler{Name: "a", Topic: "t", Ordering: "none", Workers: 8},
			registry.Subscription{Topic: "t", Handler: "a", Ordering: registry.OrderingNone, Workers: 8, Retry: retry, DeadLetter: dlq}},
		{Handler{Name: "a", Topic: "t", RetryTopic: true, NoDeadLetter: true},
			registry.Subscription{Topic: "t", Handler: "a", Ordering: registry.OrderingPartition, Retry: retry,
				RetryTopic: registry.RetryTopicConfig{Enabled: true}}},
	}
	for _, tt := range tests {
		if got := tt.h.Subscription(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%+v:\n got %+v\nwant %+v", tt.h, got, tt.want)
		}
	}
}
