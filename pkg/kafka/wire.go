package kafka

import "github.com/google/wire"

// ProviderSet builds the engine's singletons: the cluster, metrics, engine
// and publisher. None starts anything when built.
var ProviderSet = wire.NewSet(NewCluster, NewMetrics, NewEngine, NewPublisher)
