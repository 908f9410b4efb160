package watchdog

import "github.com/google/wire"

// ProviderSet builds the watchdog.
var ProviderSet = wire.NewSet(New)
