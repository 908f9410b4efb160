package dlq

// The headers of a dead letter; Replay and operators rely on these names.
const (
	// HeaderTopic, HeaderPartition and HeaderOffset say where the message
	// was first consumed (before any retry-topic round).
	HeaderTopic     = "dlq.original.topic"
	HeaderPartition = "dlq.original.partition"
	HeaderOffset    = "dlq.original.offset"
	// HeaderError is why it failed, cut to a bounded length; the full
	// error is in the log.
	HeaderError = "dlq.error"
	// HeaderAttempts is how often the handler was called for it.
	HeaderAttempts = "dlq.attempts"
	// HeaderFirstFailure and HeaderLastFailure are RFC 3339 times (UTC,
	// nanoseconds).
	HeaderFirstFailure = "dlq.first.failure"
	HeaderLastFailure  = "dlq.last.failure"
)

// HeaderReplayedFrom names the dead letter (topic/partition@offset) a
// replayed message came from.
const HeaderReplayedFrom = "dlq.replayed.from"
