package scaffold

import (
	"fmt"
	"time"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// The subscription a handler is generated with, where its Handler leaves
// a choice open.
const (
	// DefaultKeyWorkers is the workers per partition in key and none
	// ordering when Handler.Workers is zero.
	DefaultKeyWorkers = 4
	// BatchSize and BatchLinger shape a batch handler's batches: 100
	// messages, or fewer 200ms after the first arrived.
	BatchSize   = 100
	BatchLinger = 200 * time.Millisecond
)

// maxWorkers is the engine's limit of workers per partition.
const maxWorkers = 1024

// Handler describes the handler to generate: what `consumer new handler`
// takes as its argument and flags.
type Handler struct {
	// Name is the kebab-case name (see NamesOf).
	Name string
	// Topic is the topic it consumes by default.
	Topic string
	// Batch makes it a message.BatchHandler, in batches of BatchSize
	// messages lingering at most BatchLinger; it needs partition ordering.
	Batch bool
	// Ordering is "partition" (the default when empty), "key" or "none".
	Ordering registry.Ordering
	// Workers is the workers per partition in key and none ordering;
	// zero means DefaultKeyWorkers there. Partition ordering has one.
	Workers int
	// NoDeadLetter turns off the dead-letter topic <topic>.dlq, which a
	// handler has by default: without it, a message that finally fails
	// is logged, counted as failed and committed past.
	NoDeadLetter bool
	// RetryTopic sends a message whose attempts in place are used up to
	// <topic>.retry for later rounds before dead-lettering it (per-message
	// handlers only).
	RetryTopic bool
}

// Validate returns the first reason the handler cannot be generated as
// described: a name, a topic or a combination of options the engine would
// refuse.
func (h Handler) Validate() error {
	if _, err := NamesOf(h.Name); err != nil {
		return err
	}
	if err := ValidateTopic(h.Topic); err != nil {
		return err
	}
	if err := h.validateShape(); err != nil {
		return err
	}
	// The topics the engine derives must be valid too.
	for _, t := range []string{h.Topic + ".dlq", h.Topic + ".retry"} {
		if err := ValidateTopic(t); err != nil {
			return fmt.Errorf("topic %q: its dead-letter or retry topic would be too long: %w", h.Topic, err)
		}
	}
	return nil
}

// validateShape checks the ordering, workers, batch and retry topic
// together, as the engine will.
func (h Handler) validateShape() error {
	ordering := h.ordering()
	switch ordering {
	case registry.OrderingPartition:
		if h.Workers != 0 {
			return fmt.Errorf("--workers %d: partition ordering has one worker per partition; use --ordering key or none for more", h.Workers)
		}
	case registry.OrderingKey, registry.OrderingNone:
		if h.Workers < 0 || h.Workers > maxWorkers {
			return fmt.Errorf("--workers %d: must be between 1 and %d", h.Workers, maxWorkers)
		}
		if h.Batch {
			return fmt.Errorf("--batch with --ordering %s: a batch is a run of one partition's messages, so it needs partition ordering", ordering)
		}
	default:
		return fmt.Errorf("--ordering %q: must be partition, key or none", ordering)
	}
	if h.Batch && h.RetryTopic {
		return fmt.Errorf("--retry-topic with --batch: a retry topic needs a per-message handler")
	}
	return nil
}

func (h Handler) ordering() registry.Ordering {
	if h.Ordering == "" {
		return registry.OrderingPartition
	}
	return h.Ordering
}

// Subscription is the handler's default subscription, as its
// Registration declares it and the configuration file repeats it.
func (h Handler) Subscription() registry.Subscription {
	s := registry.Subscription{
		Topic:      h.Topic,
		Handler:    h.Name,
		Ordering:   h.ordering(),
		Retry:      registry.DefaultRetryPolicy(),
		DeadLetter: registry.DeadLetterConfig{Enabled: !h.NoDeadLetter},
		RetryTopic: registry.RetryTopicConfig{Enabled: h.RetryTopic},
	}
	if s.Ordering != registry.OrderingPartition {
		s.Workers = h.Workers
		if s.Workers == 0 {
			s.Workers = DefaultKeyWorkers
		}
	}
	if h.Batch {
		s.Batch = registry.BatchConfig{Size: BatchSize, Linger: BatchLinger}
	}
	return s
}
