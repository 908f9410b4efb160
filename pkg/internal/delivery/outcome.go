package delivery

// Outcome is the one recorded end of a message's processing.
type Outcome string

// The outcomes, named as in the kafka_consumer_messages_total metric's
// outcome label (the README documents them there).
const (
	// OutcomeSuccess: handled on the first attempt.
	OutcomeSuccess Outcome = "success"
	// OutcomeRetried: handled after at least one failed attempt.
	OutcomeRetried Outcome = "retried"
	// OutcomeDeadLettered: written to the dead-letter topic, then committed.
	OutcomeDeadLettered Outcome = "dead_lettered"
	// OutcomeFailed: finally failed with no dead-letter topic configured:
	// logged with its reason, counted, and committed past.
	OutcomeFailed Outcome = "failed"
	// OutcomeRescheduled: its attempts in place were used up and it was
	// written to its retry topic; its final outcome is recorded there.
	OutcomeRescheduled Outcome = "rescheduled"
)

// Outcomes lists every outcome.
func Outcomes() []Outcome {
	return []Outcome{OutcomeSuccess, OutcomeRetried, OutcomeDeadLettered, OutcomeFailed, OutcomeRescheduled}
}
