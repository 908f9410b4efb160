package consumerkit

import (
	"github.com/consumerkit/consumerkit/internal/app"
	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// newComponents fixes the start order; the app stops them in reverse, so:
// the admin server answers probes first and stops last; the broker outlives
// every client; the publisher outlives the engine, whose final batch flush
// publishes, and the demo feed, which publishes through it; the demo
// faults stop before the engine, so a deadlocked handler is released and
// the engine drains cleanly; the watchdog watches the engine while it
// runs; the demo feed stops first.
func newComponents(adm *admin.Server, cluster *embedded.Cluster, pub *publish.Publisher, engine *kafka.Engine,
	faults *service.DemoFaults, dog *watchdog.Watchdog, demo *service.DemoFeed) app.Components {
	return app.Components{adm, cluster, pub, engine, faults, dog, demo}
}

// newPlatform tells the example what it needs of the engine's
// configuration; the service never imports the engine.
func newPlatform(cfg kafka.Config) service.Platform {
	return service.Platform{Embedded: cfg.UsesEmbedded(), MaxInflight: cfg.MaxInflight}
}
