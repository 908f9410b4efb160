package message

// Outcome is the one recorded end of a message's processing.
type Outcome string

// The outcomes, named as in the kafka_consumer_messages_total metric.
const (
	// OutcomeSuccess: handled on the first attempt.
	OutcomeSuccess Outcome = "success"
	// OutcomeRetried: handled after at least one failed attempt.
	OutcomeRetried Outcome = "retried"
	// OutcomeDeadLettered: written to the dead-letter topic, then committed.
	OutcomeDeadLettered Outcome = "dead_lettered"
	// OutcomeFailed: the handler failed and the message was committed
	// without success (logged and counted; no dead-letter topic configured).
	OutcomeFailed Outcome = "failed"
)
