// Package kafka is the consumer engine and the only package that imports
// kafka-go.
//
// Data flows broker → engine → call chain → handler → outcome → commit.
// Group membership uses kafka-go's ConsumerGroup/Generation API; each
// assigned partition gets its own partition reader (no GroupID), an offset
// window that bounds what is fetched and not yet committable, and its
// workers (one in partition ordering). Each message is taken to exactly
// one outcome in one place (delivery.go): attempts under their own
// deadlines, backoffs, the retry topic, the dead-letter topic. Offsets are
// committed after processing: per partition the highest contiguous
// completed offset (+1), every commit interval and once more when the
// generation ends or the engine stops. Delivery is at-least-once: what was
// not processed when a partition was revoked is redelivered, so handlers
// must be idempotent.
//
// Goroutines are O(partitions + workers): per assigned partition one
// fetcher, its workers and a deadline enforcer, per generation one
// committer, never one per message. The engine starts nothing in its
// constructor; Start launches, Stop drains.
package kafka
