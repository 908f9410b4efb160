package service

import "github.com/consumerkit/consumerkit/pkg/message"

// The providers below are where the injector chooses a demo fault's
// decorator: each returns the plain part unless the configured fault
// decorates that part. The business code takes the interfaces and never
// learns which it got.

// OrdersHandler is the orders-enricher as registered: the OrdersEnricher
// itself, or the deadlock, errorpath or panic fault around it.
type OrdersHandler interface {
	message.BatchHandler
}

// NewOrdersHandler returns h, decorated by the deadlock (F4), errorpath
// (F3) or panic fault when one is configured.
func NewOrdersHandler(h *OrdersEnricher, f *DemoFaults) OrdersHandler {
	switch {
	case f.log != nil:
		return deadlockHandler{next: h, log: f.log}
	case f.requests != nil:
		return errorPathHandler{next: h, requests: f.requests}
	case f.fault == FaultPanic:
		return panicHandler{next: h}
	}
	return h
}

// NewOrderWriter returns the sink, behind the slow downstream (F5) when
// that fault is configured.
func NewOrderWriter(s *EnrichedOrderSink, f *DemoFaults) OrderWriter {
	if f.fault == FaultSlow {
		return slowWriter{next: s, delay: slowDownstreamDelay}
	}
	return s
}

// NewCustomerStore returns the process's one customer cache, or, under the
// leak fault (F2), a store that builds a cache per lookup.
func NewCustomerStore(c *CustomerCache, f *DemoFaults) CustomerStore {
	if f.caches != nil {
		return leakyCustomers{shared: c, caches: f.caches}
	}
	return c
}
