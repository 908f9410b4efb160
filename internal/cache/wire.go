package cache

import "github.com/google/wire"

// ProviderSet builds the cache metrics shared by every named cache.
var ProviderSet = wire.NewSet(NewMetrics)
