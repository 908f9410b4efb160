package consumerkit

import "github.com/consumerkit/consumerkit/internal/service"

// ServiceSettings returns the service's own part of the configuration at
// its defaults: cmd/consumer loads it with config.Load, beside the
// framework's, and hands it to InitializeApp. The command reaches the
// service only through this package, which may import it.
func ServiceSettings() *service.Settings { return service.DefaultSettings() }
