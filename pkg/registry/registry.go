package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/consumerkit/consumerkit/pkg/message"
)

// Registry names the handlers a service offers, so that configuration can
// bind them to topics, and holds the service's own middleware. Build it
// once at start-up; it is read-only afterwards and then safe for
// concurrent use.
type Registry struct {
	entries map[string]Entry
	subs    []Subscription
	writes  []string
	use     []message.Middleware
}

// Entry is one registered handler, as the engine runs it.
type Entry struct {
	Name string
	// Batch says whether the handler is a BatchHandler.
	Batch bool
	// Call calls the handler itself (Handle or HandleBatch).
	Call message.Call
	// Middleware is the service's own for this handler, outermost first:
	// what Use added for every handler, then the handler's own.
	Middleware []message.Middleware
}

// New returns a registry of regs, or an error naming a handler
// registered twice.
func New(regs ...Registration) (*Registry, error) {
	r := Empty()
	for _, reg := range regs {
		if _, ok := r.entries[reg.entry.Name]; ok {
			return nil, fmt.Errorf("registry: handler %q registered twice", reg.entry.Name)
		}
		r.entries[reg.entry.Name] = reg.entry
		r.subs = append(r.subs, reg.subs...)
		r.writes = append(r.writes, reg.writes...)
	}
	return r, nil
}

// Writes lists the topics the registered handlers declared they write
// (Registration.Writes), sorted, each once.
func (r *Registry) Writes() []string {
	return slices.Compact(slices.Sorted(slices.Values(r.writes)))
}

// Empty returns a registry with no handlers, to fill with Add and AddBatch.
func Empty() *Registry { return &Registry{entries: map[string]Entry{}} }

// Add registers a per-message handler under name, with middleware for its
// calls only (inside any added by Use) and no default subscription. It
// panics on a duplicate name: that is a programming error caught at
// start-up. Services declare Registrations; Add is for building a
// registry by hand, in tests.
func (r *Registry) Add(name string, h message.Handler, mws ...message.Middleware) *Registry {
	return r.add(Handler(name, h).Use(mws...))
}

// AddBatch registers a batch handler under name, like Add.
func (r *Registry) AddBatch(name string, h message.BatchHandler, mws ...message.Middleware) *Registry {
	return r.add(Batch(name, h).Use(mws...))
}

func (r *Registry) add(reg Registration) *Registry {
	if _, ok := r.entries[reg.entry.Name]; ok {
		panic(fmt.Sprintf("registry: handler %q registered twice", reg.entry.Name))
	}
	r.entries[reg.entry.Name] = reg.entry
	return r
}

// Use adds middleware around the calls of every handler, registered
// before or after, outside each handler's own.
func (r *Registry) Use(mws ...message.Middleware) *Registry {
	r.use = append(r.use, mws...)
	return r
}

// Lookup returns the handler registered under name, its Middleware
// including what Use added.
func (r *Registry) Lookup(name string) (Entry, bool) {
	e, ok := r.entries[name]
	if !ok {
		return Entry{}, false
	}
	e.Middleware = append(slices.Clip(r.use), e.Middleware...)
	return e, true
}

// Names lists every registered name, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Subscriptions resolves the subscriptions to run: the registrations'
// defaults, each replaced whole by a configured subscription of the same
// handler and topic, then the configured subscriptions no default had.
// A configured subscription is not merged field by field with the
// default it replaces: what it leaves zero takes the engine's defaults.
func (r *Registry) Subscriptions(configured []Subscription) []Subscription {
	type key struct{ handler, topic string }
	override := map[key]Subscription{}
	for _, s := range configured {
		override[key{s.Handler, s.Topic}] = s
	}
	out := make([]Subscription, 0, len(r.subs))
	used := map[key]bool{}
	for _, s := range r.subs {
		k := key{s.Handler, s.Topic}
		if c, ok := override[k]; ok {
			s = c
			used[k] = true
		}
		out = append(out, s)
	}
	for _, s := range configured {
		if !used[key{s.Handler, s.Topic}] {
			out = append(out, s)
		}
	}
	return out
}

// CallOf adapts a per-message handler to a Call: msgs holds exactly one
// message.
func CallOf(h message.Handler) message.Call {
	return func(ctx context.Context, msgs []*message.Message) error {
		if len(msgs) == 0 {
			return nil
		}
		return h.Handle(ctx, msgs[0])
	}
}
