// Package publish writes messages to Kafka.
//
// Publisher is what a consume-transform-produce handler writes its output
// through: Publish returns only once every message is acknowledged by all
// in-sync replicas, so a handler that returns after Publish has its output
// durable before its input is committed. It is a lifecycle component:
// start it before the engine and stop it after, because the engine's final
// batch flush publishes during shutdown.
//
// Producer is the kafka-go writer under it, shared with the engine's
// dead-letter and retry-topic writes and with `consumer dlq replay`: acks
// from every in-sync replica, keys partitioned with murmur2 as Java
// clients do, a transport of its own, and a close bounded in time.
package publish
