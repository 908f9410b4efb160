package service

import "github.com/consumerkit/consumerkit/pkg/registry"

// demoFaultSubscription shapes the enricher's default subscription for
// the configured demo fault, the framework's side of it: batchstall makes
// its batch stage one the demo traffic can never fill, since a partition
// never holds more than p.MaxInflight messages (only the linger deadline
// flushes it, F1); slow makes its batches small, so the backlog behind
// the slow downstream grows (F5). A subscription the configuration gives
// for the same topic replaces this one whole, fault or not.
func demoFaultSubscription(cfg Config, p Platform, s registry.Subscription) registry.Subscription {
	switch cfg.DemoFault {
	case "batchstall":
		s.Batch.Size = p.MaxInflight
	case "slow":
		s.Batch.Size = min(s.Batch.Size, 10)
	}
	return s
}
