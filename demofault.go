package consumerkit

import (
	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/watchdog"
)

// watchdogConfig is the watchdog's section, paced for the demo fault: the
// leak fault has goroutines counted every second, so that the leak
// detector fires within seconds of start (see service.Fault.LeakInterval).
func watchdogConfig(cfg config.Config, svc service.Config) watchdog.Config {
	w := cfg.Watchdog
	w.LeakInterval = svc.Fault().LeakInterval(w.LeakInterval)
	return w
}
