package service

import "github.com/consumerkit/consumerkit/pkg/registry"

// NewHandlers names every handler this service offers. To add one: write
// it in its own file with a constructor, add the constructor to ProviderSet,
// take it as a parameter here and register it; then subscribe a topic to its
// name in the configuration.
func NewHandlers(orders OrdersHandler) *registry.Registry {
	return registry.Empty().
		AddBatch(OrdersEnricherName, orders)
}
