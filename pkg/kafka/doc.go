// Package kafka is the consumer engine: it consumes the subscribed topics
// as one member of a consumer group and takes every message to one
// recorded outcome.
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
// What the engine is doing is read from one place per partition (its
// status): liveness (Engine.Live), what blocks it (Engine.Blocked),
// /debug/consumer (Engine.State) and the live metrics (lag, stalled,
// blocked, in flight) agree because they all read it.
//
// Goroutines are O(partitions + workers): per assigned partition one
// fetcher, its workers and a deadline enforcer, per generation one
// committer, never one per message. The engine starts nothing in its
// constructor; Start launches, Stop drains.
//
// What changes for other reasons lives beside it: package conn (TLS, SASL,
// dialer, bounded close), package embedded (where the brokers are; the
// in-process broker), package publish (the handlers' Publisher and the
// producer under every write, the engine's letters included) and package
// dlq (the dead-letter headers and `consumer dlq replay`). Only these
// packages import kafka-go or franz-go. ProviderSet builds the engine and
// those of its neighbours a service needs from one Config.
package kafka
