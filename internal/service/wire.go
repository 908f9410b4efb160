package service

import "github.com/google/wire"

// ProviderSet builds the service's singletons: one directory, one cache,
// one customer service, one sink, one handler of each kind.
var ProviderSet = wire.NewSet(
	NewCustomerDirectory,
	NewCustomerCache,
	NewCustomerStore,
	NewCustomerService,
	NewEnrichedOrderSink,
	NewOrderWriter,
	NewOrdersEnricher,
	NewOrdersHandler,
	NewDemoOrders,
	NewDemoFaults,
	NewHandlers,
)
