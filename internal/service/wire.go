package service

import "github.com/google/wire"

// ProviderSet builds the service's singletons: one directory, one cache,
// one customer service, one sink, the demo feed and faults, and every
// handler with the registry that collects them (Handlers).
var ProviderSet = wire.NewSet(
	NewCustomerDirectory,
	NewCustomerCache,
	NewCustomerStore,
	NewCustomerService,
	NewEnrichedOrderSink,
	NewOrderWriter,
	NewOrdersHandler,
	NewDemoOrders,
	NewDemoFeed,
	NewDemoFaults,
	Handlers,
)
