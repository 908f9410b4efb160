package message

import (
	"fmt"
	"slices"
)

// Registry names the handlers a service offers, so that configuration can
// bind them to topics, and holds the service's own middleware. Build it
// once at start-up; it is read-only afterwards and then safe for
// concurrent use.
type Registry struct {
	entries map[string]Entry
	use     []Middleware
}

// Entry is one registered handler, as the engine runs it.
type Entry struct {
	Name string
	// Batch says whether the handler is a BatchHandler.
	Batch bool
	// Call calls the handler itself (Handle or HandleBatch).
	Call Call
	// Middleware is the service's own for this handler, outermost first:
	// what Use added for every handler, then what was given with it.
	Middleware []Middleware
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{entries: map[string]Entry{}} }

// Add registers a per-message handler under name, with middleware for its
// calls only (inside any added by Use). It panics on a duplicate name:
// that is a programming error caught at start-up.
func (r *Registry) Add(name string, h Handler, mws ...Middleware) *Registry {
	return r.add(Entry{Name: name, Call: CallOf(h), Middleware: mws})
}

// AddBatch registers a batch handler under name, with middleware for its
// calls only. It panics on a duplicate name.
func (r *Registry) AddBatch(name string, h BatchHandler, mws ...Middleware) *Registry {
	return r.add(Entry{Name: name, Batch: true, Call: BatchCallOf(h), Middleware: mws})
}

// Use adds middleware around the calls of every handler, registered
// before or after, outside each handler's own.
func (r *Registry) Use(mws ...Middleware) *Registry {
	r.use = append(r.use, mws...)
	return r
}

func (r *Registry) add(e Entry) *Registry {
	if _, ok := r.entries[e.Name]; ok {
		panic(fmt.Sprintf("message: handler %q registered twice", e.Name))
	}
	r.entries[e.Name] = e
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
