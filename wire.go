//go:build wireinject

package consumerkit

import (
	"github.com/google/wire"

	"github.com/consumerkit/consumerkit/internal/app"
	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/logging"
	"github.com/consumerkit/consumerkit/pkg/registry"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// InitializeApp builds the application from the framework's configuration
// and the service's (both filled by config.Load; see ServiceSettings). The
// returned cleanup releases what the providers own (caches, logger) and
// must be called once, after App.Run returned.
func InitializeApp(cfg config.Config, settings *service.Settings) (*app.App, func(), error) {
	wire.Build(
		wire.FieldsOf(new(config.Config), "Kafka", "Admin", "Log", "Shutdown"),
		wire.FieldsOf(new(*service.Settings), "Service", "Demo", "Cache"),
		watchdogConfig,
		logging.ProviderSet,
		admin.ProviderSet,
		cache.ProviderSet,
		kafka.ProviderSet,
		service.ProviderSet,
		watchdog.ProviderSet,
		wire.Bind(new(service.Publisher), new(*publish.Publisher)),
		wire.Bind(new(admin.Checker), new(*kafka.Engine)),
		wire.Bind(new(watchdog.Subject), new(*kafka.Engine)),
		wire.Bind(new(app.Readiness), new(*admin.Server)),
		newPlatform,
		newComponents,
		app.New,
	)
	return nil, nil, nil
}

// InitializeRegistry builds only the service's handlers and the registry
// that collects them, starting nothing, so that `consumer config` prints
// the subscriptions the service runs: the registered defaults as the
// configuration overrides them. The cleanup releases what the providers
// own.
func InitializeRegistry(cfg config.Config, settings *service.Settings) (*registry.Registry, func(), error) {
	wire.Build(
		wire.FieldsOf(new(config.Config), "Kafka", "Log"),
		wire.FieldsOf(new(*service.Settings), "Service", "Cache"),
		logging.ProviderSet,
		admin.ProviderSet,
		cache.ProviderSet,
		kafka.ProviderSet,
		service.ProviderSet,
		wire.Bind(new(service.Publisher), new(*publish.Publisher)),
	)
	return nil, nil, nil
}
