package logging

import "github.com/google/wire"

// ProviderSet builds the process's logger and its level.
var ProviderSet = wire.NewSet(NewLevel, New)
