package lifecycle

import "fmt"

// PanicError is a recovered panic: what panicked, the value it panicked
// with, and the stack where it happened. It is the one panic error of
// consumerkit: a Group reports a task's panic with it, and the engine (in
// middleware.Recover) a handler's.
//
// Error names what panicked and the value, never the stack: error text
// travels (dead-letter headers, logs of other systems, reports that join
// errors) and a stack can be larger than the message being handled. The
// stack is for the log: Group.Err appends it to the task's report, and the
// engine logs it beside a handler's error.
type PanicError struct {
	// What says what panicked: "task <name>" for a Group task, "handler"
	// for a handler's call.
	What  string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("%s panicked: %v", e.What, e.Value) }
