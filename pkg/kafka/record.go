package kafka

import (
	"slices"
	"time"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// deliveryRecord is the engine's truth about one message's delivery: how
// many calls it has been part of and when they failed. The Message's
// Attempts, FirstFailure and LastFailure are copies for the handler to
// read, written from the record before every call and before the
// message's letter is built; the engine decides from the record alone, so
// a handler that writes the copies changes nothing.
type deliveryRecord struct {
	attempts                  int
	firstFailure, lastFailure time.Time
}

// failed records a failed call that returned at.
func (r *deliveryRecord) failed(at time.Time) {
	if r.firstFailure.IsZero() {
		r.firstFailure = at
	}
	r.lastFailure = at
}

// show writes the record into m's copies.
func (r *deliveryRecord) show(m *message.Message) {
	m.Attempts, m.FirstFailure, m.LastFailure = r.attempts, r.firstFailure, r.lastFailure
}

// records returns n zeroed records from the worker's own buffer: once it
// has grown to the largest batch, a delivery allocates none.
func (w *worker) records(n int) []deliveryRecord {
	w.recs = slices.Grow(w.recs[:0], n)[:n]
	clear(w.recs)
	return w.recs
}
