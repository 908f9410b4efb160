// Package service is the example business logic: it consumes orders,
// enriches each with its customer (looked up through one process-wide cache)
// and writes enriched orders to an output topic in batches.
//
// It is also the template for new handlers: a handler is a type with a
// constructor in its own file, registered by name in handlers.go and listed
// in ProviderSet; a subscription in the configuration binds it to a topic.
// The package never imports the Kafka engine, so every handler is testable
// without a broker.
package service
