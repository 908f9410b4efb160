package message

import (
	"fmt"
	"slices"
)

// Registry names the handlers a service offers, so that configuration can
// bind them to topics. Build it once at start-up; it is read-only afterwards
// and then safe for concurrent use.
type Registry struct {
	handlers map[string]Handler
	batch    map[string]BatchHandler
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{handlers: map[string]Handler{}, batch: map[string]BatchHandler{}}
}

// Add registers a per-message handler under name. It panics on a duplicate
// name: that is a programming error caught at start-up.
func (r *Registry) Add(name string, h Handler) *Registry {
	r.mustBeNew(name)
	r.handlers[name] = h
	return r
}

// AddBatch registers a batch handler under name. It panics on a duplicate
// name.
func (r *Registry) AddBatch(name string, h BatchHandler) *Registry {
	r.mustBeNew(name)
	r.batch[name] = h
	return r
}

func (r *Registry) mustBeNew(name string) {
	if _, ok := r.handlers[name]; ok {
		panic(fmt.Sprintf("message: handler %q registered twice", name))
	}
	if _, ok := r.batch[name]; ok {
		panic(fmt.Sprintf("message: handler %q registered twice", name))
	}
}

// Handler returns the per-message handler named name.
func (r *Registry) Handler(name string) (Handler, bool) {
	h, ok := r.handlers[name]
	return h, ok
}

// BatchHandler returns the batch handler named name.
func (r *Registry) BatchHandler(name string) (BatchHandler, bool) {
	h, ok := r.batch[name]
	return h, ok
}

// Names lists every registered name, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.handlers)+len(r.batch))
	for n := range r.handlers {
		names = append(names, n)
	}
	for n := range r.batch {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
