package message

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// permanentError marks an error that no retry can fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (malformed input, a
// reference to something that does not exist). The framework skips retries
// for it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// BatchError fails some messages of a batch and not others. Failed maps an
// index into the batch passed to HandleBatch to that message's error;
// messages not listed succeeded.
type BatchError struct {
	Failed map[int]error
}

func (e *BatchError) Error() string {
	idx := make([]int, 0, len(e.Failed))
	for i := range e.Failed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		parts = append(parts, fmt.Sprintf("[%d] %v", i, e.Failed[i]))
	}
	return fmt.Sprintf("%d of the batch failed: %s", len(idx), strings.Join(parts, "; "))
}

// ErrorAt returns the error for the message at index i of a batch whose
// HandleBatch returned err: nil when that message succeeded.
func ErrorAt(err error, i int) error {
	if err == nil {
		return nil
	}
	var be *BatchError
	if errors.As(err, &be) {
		return be.Failed[i]
	}
	return err
}

// deadLetteredError marks a message that failed and was written to its
// dead-letter topic: it is done, and its offset may be committed.
type deadLetteredError struct {
	err   error
	topic string
}

func (e *deadLetteredError) Error() string {
	return "dead-lettered to " + e.topic + ": " + e.err.Error()
}
func (e *deadLetteredError) Unwrap() error { return e.err }

// DeadLettered reports that err's message was written to topic.
func DeadLettered(err error, topic string) error {
	return &deadLetteredError{err: err, topic: topic}
}

// IsDeadLettered reports whether err says its message was dead-lettered.
func IsDeadLettered(err error) bool {
	var d *deadLetteredError
	return errors.As(err, &d)
}

// exhaustedError marks the last failure of a message whose in-place
// retries are used up.
type exhaustedError struct{ err error }

func (e *exhaustedError) Error() string { return e.err.Error() }
func (e *exhaustedError) Unwrap() error { return e.err }

// Exhausted marks err as the last failure of a message whose in-place
// retries are used up. It is permanent for the layers above, which may
// still reschedule it to a retry topic (a handler's own Permanent error is
// never rescheduled: it cannot succeed later).
func Exhausted(err error) error { return Permanent(&exhaustedError{err: err}) }

// IsExhausted reports whether err came from used-up retries.
func IsExhausted(err error) bool {
	var x *exhaustedError
	return errors.As(err, &x)
}

// rescheduledError marks a message handed to a retry topic: done on its
// own partition, to be tried again later from the retry topic.
type rescheduledError struct {
	err   error
	topic string
}

func (e *rescheduledError) Error() string {
	return "rescheduled to " + e.topic + ": " + e.err.Error()
}
func (e *rescheduledError) Unwrap() error { return e.err }

// Rescheduled reports that err's message was written to retry topic.
func Rescheduled(err error, topic string) error { return &rescheduledError{err: err, topic: topic} }

// IsRescheduled reports whether err says its message was rescheduled.
func IsRescheduled(err error) bool {
	var r *rescheduledError
	return errors.As(err, &r)
}
