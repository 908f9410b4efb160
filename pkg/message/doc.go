// Package message defines what a handler sees and returns, independent of
// Kafka: Message, Handler, BatchHandler, HandlerFunc, Middleware and Chain.
//
// A handler written against this package is testable without a broker. The
// package imports only the standard library.
package message
