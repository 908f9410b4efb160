package kafka

import (
	"time"

	"github.com/consumerkit/consumerkit/pkg/internal/delivery"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// batchAccumulator decides when a batch is due. It is pure bookkeeping —
// the worker supplies the clock — so the rule that prevented production
// failure F1 is testable exactly: a batch is due when it holds Size
// messages, or Bytes bytes, or when Linger has passed since its FIRST
// message. The deadline is fixed when the first message arrives; later
// messages never extend it (a timer reset per message is how a batch stage
// that rarely fills waits forever).
type batchAccumulator struct {
	cfg      registry.BatchConfig
	msgs     []*message.Message
	bytes    int
	deadline time.Time // zero while empty
}

func newBatchAccumulator(cfg registry.BatchConfig) *batchAccumulator {
	return &batchAccumulator{cfg: cfg, msgs: make([]*message.Message, 0, cfg.Size)}
}

// add appends m, arriving at now, and returns the flush reason if the batch
// became full ("size" or "bytes"), else "".
func (b *batchAccumulator) add(m *message.Message, now time.Time) string {
	if len(b.msgs) == 0 {
		b.deadline = now.Add(b.cfg.Linger)
	}
	b.msgs = append(b.msgs, m)
	b.bytes += delivery.Size(m)
	// if, not switch: coverage (and so mutation testing) sees into an
	// if's condition, not into a case expression.
	if len(b.msgs) >= b.cfg.Size {
		return "size"
	}
	if b.cfg.Bytes > 0 && b.bytes >= b.cfg.Bytes {
		return "bytes"
	}
	return ""
}

// due reports whether the linger deadline has passed at now.
func (b *batchAccumulator) due(now time.Time) bool {
	return len(b.msgs) > 0 && !now.Before(b.deadline)
}

// nextDeadline is when the current batch must flush; ok is false when empty.
func (b *batchAccumulator) nextDeadline() (time.Time, bool) {
	return b.deadline, len(b.msgs) > 0
}

// take returns the batch and starts a new one.
func (b *batchAccumulator) take() []*message.Message {
	out := b.msgs
	b.msgs = make([]*message.Message, 0, b.cfg.Size)
	b.bytes = 0
	b.deadline = time.Time{}
	return out
}

func (b *batchAccumulator) empty() bool { return len(b.msgs) == 0 }
