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
// reference to something that does not exist). The framework skips the
// remaining attempts and the retry topic, and dead-letters the message.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked
// Permanent: what a handler's own test asserts of a failure it expects
// to be dead-lettered at once, and what a middleware may label a failure
// with. The engine decides by the same test.
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
