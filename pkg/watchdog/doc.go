// Package watchdog keeps the evidence when the service stops making
// progress. It polls the consumer's liveness; the moment liveness fails it
// captures a goroutine dump (debug=2), the consumer's state (partitions,
// offsets, in-flight calls) and a heap profile into a directory under
// DIAG_DIR, keeps the last N captures, and logs where they are — so the
// scene of a deadlock (production failure F4) survives the restart that
// the failing liveness probe causes. It never imports the Kafka engine.
package watchdog
