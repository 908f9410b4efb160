package registry

import "github.com/consumerkit/consumerkit/pkg/message"

// Registration declares one handler: the name subscriptions refer to, its
// kind, the middleware for its calls only, the subscriptions it has
// unless the configuration says otherwise, and the topics it writes.
// Declare it next to the handler's constructor, with Handler or Batch.
type Registration struct {
	entry  Entry
	subs   []Subscription
	writes []string
}

// Handler registers a per-message handler under name, subscribed by
// default to subs (their Handler field is set to name).
func Handler(name string, h message.Handler, subs ...Subscription) Registration {
	return newRegistration(Entry{Name: name, Call: CallOf(h)}, subs)
}

// Batch registers a batch handler under name, subscribed by default to
// subs (their Handler field is set to name). A batch handler needs a
// subscription with a batch size: see Subscription.Batch.
func Batch(name string, h message.BatchHandler, subs ...Subscription) Registration {
	return newRegistration(Entry{Name: name, Batch: true, Call: h.HandleBatch}, subs)
}

func newRegistration(e Entry, subs []Subscription) Registration {
	own := make([]Subscription, len(subs))
	for i, s := range subs {
		s.Handler = e.Name
		own[i] = s
	}
	return Registration{entry: e, subs: own}
}

// Use returns the registration with middleware for this handler's calls
// only, inside the service-wide middleware of Registry.Use; the first
// listed is the outermost.
func (r Registration) Use(mws ...message.Middleware) Registration {
	r.entry.Middleware = append(append([]message.Middleware(nil), r.entry.Middleware...), mws...)
	return r
}

// Writes returns the registration declaring that the handler produces to
// topics (its output), so that whatever sets up the topics a service uses
// (the embedded broker) knows them.
func (r Registration) Writes(topics ...string) Registration {
	r.writes = append(append([]string(nil), r.writes...), topics...)
	return r
}

// Name is the name subscriptions refer to.
func (r Registration) Name() string { return r.entry.Name }

// Subscriptions returns the handler's default subscriptions.
func (r Registration) Subscriptions() []Subscription {
	return append([]Subscription(nil), r.subs...)
}
