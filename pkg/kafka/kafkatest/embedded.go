package kafkatest

import (
	"context"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
)

// startEmbedded starts the framework's embedded broker with topics of
// partitions partitions each, on a free port. It is the kit's one use of
// the engine's broker type.
func startEmbedded(partitions int, topics []string) (addrs []string, stop func() error, err error) {
	c := embedded.NewCluster(nil, embedded.Config{Topics: topics, Partitions: partitions}, kafka.DefaultConfig().CloseTimeout, zap.NewNop())
	if err := c.Start(context.Background()); err != nil {
		return nil, nil, err
	}
	return c.Addrs(), func() error { return c.Stop(context.Background()) }, nil
}
