package consumerkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/app"
	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/kafka/embedded"
)

// appConfig is everything InitializeApp takes: the framework's
// configuration and the service's sections, their fields promoted
// (cfg.Kafka, cfg.Service, cfg.Demo).
type appConfig struct {
	config.Config
	service.Settings
}

// defaultConfig is what `consumer run` uses without flags.
func defaultConfig() appConfig {
	return appConfig{Config: config.Default(), Settings: *service.DefaultSettings()}
}

// runningApp is one run of the Wire-built app under test.
type runningApp struct {
	t     *testing.T
	cfg   appConfig // as the app was built with (topics renamed on a real cluster)
	base  string    // the admin listener's base URL
	debug string    // the debug listener's base URL
	topic string    // the topic the orders go to
	logs  *logCapture
	feed  *orderFeed // nil on the embedded broker, whose demo producer feeds the topic
	// brokers are the cluster's bootstrap addresses: the embedded broker's
	// or KAFKA_BROKERS.
	brokers []string

	cancel   context.CancelFunc
	done     chan error
	cleanup  func()
	shutDown bool
	runErr   error
	cleaned  bool
}

// startApp builds the service with InitializeApp (the injector the command
// uses) from cfg, runs it until the test ends (or Stop is called) and
// returns once /readyz answers 200. The admin and debug listeners are on
// 127.0.0.1:0 and the embedded broker on a port of its own choosing, so two
// test binaries never race for a port; the bound addresses are read from
// the admin component. With KAFKA_BROKERS set the service runs on that
// cluster instead, with a group and topics of its own (see onRealCluster).
func startApp(t *testing.T, cfg appConfig) *runningApp {
	t.Helper()
	cfg.Admin.Addr = "127.0.0.1:0"
	cfg.Admin.DebugAddr = "127.0.0.1:0"
	cfg.Kafka.Embedded.Port = 0
	var feed *orderFeed
	if brokers := realBrokers(); brokers != nil {
		feed = onRealCluster(t, &cfg, brokers)
	}
	if err := errors.Join(append(cfg.Settings.Validate(cfg.Kafka.Brokers), cfg.Config.Validate())...); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	logs := newLogCapture(t)
	var (
		application *app.App
		cleanup     func()
		err         error
	)
	logs.during(func() { application, cleanup, err = InitializeApp(cfg.Config, &cfg.Settings) })
	if err != nil {
		t.Fatalf("InitializeApp: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningApp{t: t, cfg: cfg, logs: logs, feed: feed, topic: cfg.Service.InputTopic,
		cancel: cancel, done: make(chan error, 1), cleanup: cleanup}
	go func() { s.done <- application.Run(ctx) }()
	t.Cleanup(func() { _ = s.Stop() })

	var adm *admin.Server
	for _, c := range application.Components() {
		if a, ok := c.(*admin.Server); ok {
			adm = a
		}
	}
	if adm == nil {
		t.Fatal("the app has no admin component")
	}
	if feed != nil {
		s.brokers = feed.brokers
	}
	s.waitRunning("the admin server to listen", func() bool { return adm.Addr() != "" })
	s.base = "http://" + adm.Addr()
	s.waitRunning("the debug listener to listen", func() bool { return adm.DebugAddr() != "" })
	s.debug = "http://" + adm.DebugAddr()
	s.waitRunning("/readyz 200", func() bool { return status(s.base+"/readyz") == http.StatusOK })
	for _, c := range application.Components() {
		if cluster, ok := c.(*embedded.Cluster); ok && feed == nil {
			s.brokers = cluster.Addrs()
		}
	}
	if feed != nil {
		feed.start(cfg)
	}
	return s
}

// waitRunning is consumertest.Eventually that gives up at once, with Run's error, when the
// app ends on its own.
func (s *runningApp) waitRunning(what string, cond func() bool) {
	s.t.Helper()
	consumertest.Eventually(s.t, what, func() bool {
		select {
		case err := <-s.done:
			s.shutDown, s.runErr = true, err // Run has returned: Stop must not wait for it
			s.t.Fatalf("Run ended while waiting for %s: %v\nlogs:\n%s", what, err, s.logs.text())
		default:
		}
		return cond()
	})
}

// Shutdown stops feeding, ends Run as a signal would and returns Run's
// error; the Wire cleanup has not run yet (see Cleanup).
func (s *runningApp) Shutdown() error {
	if s.shutDown {
		return s.runErr
	}
	s.shutDown = true
	if s.feed != nil {
		s.feed.stop()
	}
	s.cancel()
	select {
	case s.runErr = <-s.done:
	case <-time.After(consumertest.Patience):
		s.runErr = fmt.Errorf("Run did not return after the signal")
	}
	return s.runErr
}

// Cleanup runs the Wire cleanup, as the command does once Run returned.
func (s *runningApp) Cleanup() {
	if !s.cleaned {
		s.cleaned = true
		s.cleanup()
	}
}

// Stop is Shutdown then Cleanup; it returns Run's error.
func (s *runningApp) Stop() error {
	err := s.Shutdown()
	s.Cleanup()
	return err
}

// metrics scrapes the admin server's /metrics.
func (s *runningApp) metrics() prometheus.Gatherer {
	s.t.Helper()
	return consumertest.Scrape(s.t, s.base+"/metrics")
}

// outcome is kafka_consumer_messages_total of the example's handler on the
// app's input topic for one outcome.
func (s *runningApp) outcome(o string) float64 {
	s.t.Helper()
	return consumertest.CounterValue(s.t, s.metrics(), "kafka_consumer_messages_total",
		map[string]string{"topic": s.topic, "handler": service.OrdersEnricherName, "outcome": o})
}
