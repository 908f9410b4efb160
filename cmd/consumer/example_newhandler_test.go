package main

import "testing"

// TestNewHandlerRefusesWhatTheServiceRuns: the binary knows the handlers
// its service registers and the topics it subscribes (the example's), and
// refuses them as such, before looking at the repository's files.
func TestNewHandlerRefusesWhatTheServiceRuns(t *testing.T) {
	refuse(t, copyModule(t), []refusal{
		{name: "a registered name", args: []string{"orders-enricher", "--topic", "payments"}, why: `handler "orders-enricher" is already registered`},
		{name: "a subscribed topic", args: []string{"payment-audit", "--topic", "orders"},
			why: `topic "orders" is already subscribed, by handler "orders-enricher"`},
	})
}
