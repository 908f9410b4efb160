package kafka

import (
	"github.com/google/wire"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
)

// ProviderSet builds the engine's singletons from its Config: the cluster
// (configured or embedded brokers, which every client asks for addresses),
// metrics, engine and publisher. None starts anything when
// built.
var ProviderSet = wire.NewSet(NewCluster, wire.Bind(new(conn.Brokers), new(*embedded.Cluster)),
	NewMetrics, NewEngine, NewPublisher)

// NewCluster describes where the brokers are: cfg.Brokers, or when none
// are configured the embedded broker cfg.Embedded shapes. It starts
// nothing; see package embedded for its place in the start order.
func NewCluster(cfg Config, log *zap.Logger) *embedded.Cluster {
	return embedded.NewCluster(cfg.Brokers, cfg.Embedded, cfg.CloseTimeout, log)
}

// NewPublisher describes the handlers' publisher, named <group>-publisher
// in the brokers' logs and quotas, connecting as cfg says. It connects
// nothing until Start.
func NewPublisher(cfg Config, brokers conn.Brokers) *publish.Publisher {
	return publish.NewPublisher(publish.Config{ClientID: cfg.GroupID + "-publisher", AutoCreateTopics: cfg.AutoCreateTopics,
		CloseTimeout: cfg.CloseTimeout, TLS: cfg.TLS, SASL: cfg.SASL}, brokers)
}
