//go:build !brokerfree

package embedded_test

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
)

// With no brokers configured, the cluster is a broker in this process:
// started before every client, stopped after all of them.
func ExampleCluster() {
	ctx := context.Background()
	cluster := embedded.NewCluster(nil, embedded.Config{Topics: []string{"orders"}, Partitions: 4}, 5*time.Second, zap.NewNop())
	if err := cluster.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("embedded:", cluster.Embedded(), "bootstrap addresses:", len(cluster.Addrs()))
	// ... start the clients, which ask cluster.Addrs() at their Start ...
	fmt.Println("stopped:", cluster.Stop(ctx))
	// Output:
	// embedded: true bootstrap addresses: 1
	// stopped: <nil>
}
