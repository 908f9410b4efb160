package service

import (
	"github.com/google/wire"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Handlers builds every handler and the registry that collects them: the
// one place a handler is registered. To add one, see the README's "Adding
// a handler": its constructor goes in this set, and its Registration in
// NewHandlers.
var Handlers = wire.NewSet(
	NewOrdersEnricher,
	NewHandlers,
)

// NewHandlers collects every handler's Registration (declared next to the
// handler's constructor) into the registry the engine runs.
func NewHandlers(cfg Config, orders OrdersHandler) (*registry.Registry, error) {
	return registry.New(
		OrdersEnricherRegistration(orders, cfg),
	)
}
