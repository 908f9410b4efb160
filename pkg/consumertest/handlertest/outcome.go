package handlertest

// Outcome is the one recorded end of a message's processing, named as in
// the kafka_consumer_messages_total metric's outcome label.
type Outcome string

// The outcomes a run can record.
const (
	// Success: handled on the first attempt.
	Success Outcome = "success"
	// Retried: handled after at least one failed attempt.
	Retried Outcome = "retried"
	// DeadLettered: written to the dead-letter topic.
	DeadLettered Outcome = "dead_lettered"
	// Failed: finally failed with no dead-letter topic configured.
	Failed Outcome = "failed"
	// Rescheduled: its attempts in place were used up and it was written
	// to its retry topic (a run does not consume the retry topic).
	Rescheduled Outcome = "rescheduled"
)
