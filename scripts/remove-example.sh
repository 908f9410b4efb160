#!/usr/bin/env bash
# remove-example.sh deletes the example service (the orders enricher, its
# demo feed and demo faults) and everything that exists only for it, and
# leaves a service with no handler that builds, passes its tests and runs:
# `consumer run` starts on the embedded broker with zero subscriptions,
# logs "no subscriptions: register a handler in internal/service/handlers.go"
# and stops cleanly. The framework (pkg/) is not touched.
#
# What goes:
#   internal/service/*            the example; replaced by an empty service:
#                                 handlers.go (the registration point),
#                                 settings.go (its own config sections), wire.go;
#                                 and its fuzz corpus (testdata/fuzz/FuzzOrders*)
#   wire.go, components.go        rewritten without the example's providers and
#                                 components; wire_gen.go regenerated
#   demofault.go                  the demo faults' pacing of the watchdog
#   root tests of the example     app, cluster, demofault, stoporder, harness,
#                                 logs, goroutines, and the tests of this script,
#                                 of the README's "Adding a handler", of
#                                 `consumer new service` (it copies the example)
#                                 and of the guide (other-module test stays)
#   cmd/consumer/example_run_test.go, e2e/*_test.go but main_test.go
#   deploy/k8s/config.yaml        loses the example's subscription and
#                                 service section
#   deploy/k8s/scaledobject.yaml  its Kafka trigger loses the example's topic
#                                 (then KEDA counts every topic of the group)
#
# Run it from a checkout (make remove-example); commit the result. README.md
# still describes the example afterwards: edit it.
#
# It works in any service with this layout, whatever its module path and
# name: the framework's checkout or one made by `consumer new service`.
# It reads the module path from go.mod, the root package's name from
# components.go and the service's name from the kustomization's label.
set -euo pipefail
cd "$(dirname "$0")/.."

module=$(go list -m)
pkg=$(awk '$1 == "package" {print $2; exit}' components.go)
name=$(awk '$1 == "app.kubernetes.io/name:" {print $2; exit}' deploy/k8s/kustomization.yaml)
group=$(awk '$1 == "group_id:" {print $2; exit}' deploy/k8s/config.yaml)
for v in module pkg name group; do
  if [[ -z ${!v} ]]; then
    echo "remove-example: cannot tell the service's $v (go.mod, components.go, deploy/k8s/kustomization.yaml, deploy/k8s/config.yaml)" >&2
    exit 1
  fi
done

if [[ ! -f internal/service/enricher.go ]]; then
  echo "remove-example: internal/service/enricher.go is gone: the example is already removed"
  exit 0
fi

echo "== deleting the example"
rm -f internal/service/*.go
rm -rf internal/service/testdata/fuzz/FuzzOrders*
rmdir internal/service/testdata/fuzz internal/service/testdata 2>/dev/null || true
rm -f demofault.go
rm -f app_test.go cluster_test.go demofault_test.go demofault_process_test.go stoporder_test.go harness_test.go \
  logs_test.go goroutines_test.go removeexample_test.go addhandler_test.go newservice_test.go newservice_checks_test.go guide_test.go
rm -f cmd/consumer/example_run_test.go cmd/consumer/example_newhandler_test.go e2e/binary_test.go e2e/lag_test.go e2e/kcat_test.go e2e/process_test.go \
  e2e/soak_test.go e2e/soak_feed_test.go e2e/soak_ledger_test.go e2e/soak_phases_test.go e2e/soak_process_test.go

echo "== writing the empty service"
cat > internal/service/doc.go <<'EOF'
// Package service is this service's business logic: its handlers, the
// singletons they share, and its own configuration sections. A handler is
// a type with a constructor and its Registration (name, kind, default
// subscription) in its own file, collected in handlers.go (see the
// README's "Adding a handler"). The package never imports the Kafka
// engine, so every handler is testable without a broker.
package service
EOF

cat > internal/service/handlers.go <<'EOF'
package service

import (
	"github.com/google/wire"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Handlers builds every handler and the registry that collects them: the
// one place a handler is registered. To add one, see the README's "Adding
// a handler": its constructor goes in this set, and its Registration in
// NewHandlers.
var Handlers = wire.NewSet(
	NewHandlers,
)

// NewHandlers collects every handler's Registration (declared next to the
// handler's constructor) into the registry the engine runs. With none,
// the service starts, consumes nothing and says so.
func NewHandlers() (*registry.Registry, error) {
	return registry.New()
}
EOF

cat > internal/service/settings.go <<'EOF'
package service

// Settings is the service's part of the configuration, beside the
// framework's: a field per section of its own in the configuration file,
// with its yaml tag, and Bind for the settings that environment variables
// and flags override. It is a config.Section: config.Load fills it, and
// the injector hands it (or, with wire.FieldsOf, its sections) to the
// providers that need it.
type Settings struct{}

// DefaultSettings returns the service's defaults.
func DefaultSettings() *Settings { return &Settings{} }

// Bind declares the settings that environment variables and flags
// override: bind(env, flag, usage, &s.Section.Field) for each.
func (s *Settings) Bind(bind func(env, flag, usage string, field any)) {}

// Validate returns every problem of the service's sections; brokers are
// the configured ones, empty for the embedded broker.
func (s *Settings) Validate(brokers []string) []error { return nil }
EOF

cat > internal/service/wire.go <<'EOF'
package service

import "github.com/google/wire"

// ProviderSet builds the service's singletons and every handler with the
// registry that collects them (Handlers).
var ProviderSet = wire.NewSet(
	Handlers,
)
EOF

cat > internal/service/main_test.go <<'EOF'
package service

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
EOF

echo "== rewriting the injector"
cat > wire.go <<EOF
//go:build wireinject

package ${pkg}

import (
	"github.com/google/wire"

	"${module}/internal/app"
	"${module}/internal/service"
	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/kafka"
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
		wire.FieldsOf(new(config.Config), "Kafka", "Admin", "Log", "Shutdown", "Watchdog"),
		logging.ProviderSet,
		admin.ProviderSet,
		kafka.ProviderSet,
		service.ProviderSet,
		watchdog.ProviderSet,
		wire.Bind(new(admin.Checker), new(*kafka.Engine)),
		wire.Bind(new(watchdog.Subject), new(*kafka.Engine)),
		wire.Bind(new(app.Readiness), new(*admin.Server)),
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
		service.ProviderSet,
	)
	return nil, nil, nil
}
EOF

cat > components.go <<EOF
package ${pkg}

import (
	"${module}/internal/app"
	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// newComponents fixes the start order; the app stops them in reverse, so:
// the admin server answers probes first and stops last; the broker outlives
// every client; the publisher outlives the engine, whose final batch flush
// publishes; the watchdog watches the engine while it runs.
func newComponents(adm *admin.Server, cluster *embedded.Cluster, pub *publish.Publisher, engine *kafka.Engine,
	dog *watchdog.Watchdog) app.Components {
	return app.Components{adm, cluster, pub, engine, dog}
}
EOF

echo "== removing the example's subscription from deploy/k8s/config.yaml"
# The file's head comment stays as it is; what follows it is the example's.
cfg=deploy/k8s/config.yaml
{
  sed -n '/^kafka:$/q;p' "$cfg"
  cat <<EOF
kafka:
  # Every replica joins the same group, so partitions are shared between
  # pods and a rolling restart only moves partitions, never duplicates work.
  group_id: ${group}
  # A handler's registered subscription can be overridden here per
  # environment: an entry of kafka.subscriptions with the same handler
  # and topic (see the README's "Configuration").
EOF
} > "$cfg.new"
mv "$cfg.new" "$cfg"

echo "== removing the example's topic from deploy/k8s/scaledobject.yaml"
# Without a topic, KEDA's Kafka scaler sums the lag of every topic the
# consumer group consumes, whatever handlers are added later.
so=deploy/k8s/scaledobject.yaml
if ! grep -q '^        topic: orders$' "$so"; then
  echo "remove-example: $so has no trigger on the example's topic (topic: orders)" >&2
  exit 1
fi
sed -i '/^        topic: orders$/d' "$so"

# The module path decides where its imports sort among the framework's:
# gofmt puts them in order.
gofmt -w wire.go components.go internal/service/*.go

echo "== regenerating wire_gen.go"
go tool wire gen . >/dev/null

echo "remove-example: done. Next: go build ./... && go test ./..., edit README.md, commit."
