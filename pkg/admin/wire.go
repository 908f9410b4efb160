package admin

import (
	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"
)

// ProviderSet builds the process's metrics registry and the admin server.
var ProviderSet = wire.NewSet(NewRegistry, New, wire.Bind(new(prometheus.Registerer), new(*prometheus.Registry)))
