// Package service is the example business logic: it consumes orders,
// enriches each with its customer (looked up through one process-wide cache)
// and writes enriched orders to an output topic in batches. It holds
// everything of the example: its configuration sections (Settings), its
// handler's subscription (OrdersEnricher.Registration), the demo feed that
// gives it traffic and the demo faults; `make remove-example` deletes it
// and leaves an empty service to add handlers to.
//
// It is also the template for new handlers: a handler is a type with a
// constructor and its Registration (name, kind, default subscription) in
// its own file, collected in handlers.go. The package never imports the
// Kafka engine, so every handler is testable without a broker.
package service
