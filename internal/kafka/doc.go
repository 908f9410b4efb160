// Package kafka is the consumer engine and the only package that imports
// kafka-go.
//
// Data flows broker → engine → handler → outcome → commit. Group membership
// uses kafka-go's ConsumerGroup/Generation API; each assigned partition gets
// its own partition reader (no GroupID) and one ordered worker. Offsets are
// committed after processing: per partition the highest contiguous completed
// offset (+1), every commit interval and once more when the generation ends
// or the engine stops. Delivery is at-least-once: what was not processed
// when a partition was revoked is redelivered, so handlers must be
// idempotent.
//
// Goroutines are O(partitions): per assigned partition one fetcher and one
// worker, per generation one committer, never one per message. The engine
// starts nothing in its constructor; Start launches, Stop drains.
package kafka
