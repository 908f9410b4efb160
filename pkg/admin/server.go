package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/lifecycle"
)

// Checker reports the health of a component.
type Checker interface {
	// Live returns nil while the component makes progress; an error says
	// what is stuck and where.
	Live() error
	// Ready returns nil once the component can do its work.
	Ready() error
}

// Inspector is implemented by a Checker that can also describe its state
// for /debug/consumer; the state must encode as JSON.
type Inspector interface {
	Inspect() any
}

// Server is the admin HTTP server: the admin listener and the debug
// listener (see Config), one component with one lifecycle.
//
// Start binds both listeners before returning, so a port already in use
// fails start-up, naming the listener, instead of surfacing later. /readyz
// turns 503 as soon as BeginShutdown is called, before anything else stops.
// Stop ends both within its context.
type Server struct {
	cfg          Config
	log          *zap.Logger
	checker      Checker
	handler      http.Handler // the admin listener's routes
	debugHandler http.Handler // the debug listener's routes
	group        *lifecycle.Group
	mu           sync.Mutex
	servers      []listening  // what Start serves, for Stop; under mu
	stopped      bool         // Stop has begun; under mu
	addr         atomic.Value // string: the admin listener's bound address, once started
	debugAddr    atomic.Value // string: the debug listener's, once started
	draining     atomic.Bool
}

// listening is one listener Start bound and the server serving it.
type listening struct {
	name string // "admin" or "debug", for errors
	srv  *http.Server
}

// New builds the server; it listens only when Start is called.
func New(cfg Config, reg *prometheus.Registry, level zap.AtomicLevel, checker Checker, log *zap.Logger) *Server {
	s := &Server{cfg: cfg, log: log.Named("admin"), checker: checker, group: lifecycle.NewGroup("admin")}
	s.handler = s.adminRoutes(reg, level)
	s.debugHandler = s.debugRoutes(level)
	return s
}

// Handler returns the admin listener's routes, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// DebugHandler returns the debug listener's routes, token guard included,
// for tests and embedding; it is built whether or not DebugAddr is set.
func (s *Server) DebugHandler() http.Handler { return s.debugHandler }

type probeResult struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeProbe(w, s.checker.Live())
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		writeProbe(w, errors.New("shutting down"))
		return
	}
	writeProbe(w, s.checker.Ready())
}

func writeProbe(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	res := probeResult{Status: "ok"}
	code := http.StatusOK
	if err != nil {
		res = probeResult{Status: "unavailable", Reason: err.Error()}
		code = http.StatusServiceUnavailable
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(res) // the client went away; nothing to do
}

// Name identifies the server in lifecycle logs.
func (s *Server) Name() string { return "admin" }

// Start binds the admin listener, then the debug listener unless
// DebugAddr is empty, and serves both in the background. It binds nothing
// and fails when the debug listener would be reachable beyond loopback
// without a token (see Config.Validate; here only the Token held counts).
// A listener that cannot be bound fails Start naming its setting and
// address, and leaves nothing bound.
func (s *Server) Start(context.Context) error {
	if err := s.cfg.checkExposure(s.cfg.Token != ""); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	adminLn, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("admin: admin listener (admin.addr) %s: %w", s.cfg.Addr, err)
	}
	var debugLn net.Listener
	if s.cfg.DebugAddr != "" {
		if debugLn, err = net.Listen("tcp", s.cfg.DebugAddr); err != nil {
			_ = adminLn.Close() // nothing will serve it; do not hold the port
			return fmt.Errorf("admin: debug listener (admin.debug_addr) %s: %w", s.cfg.DebugAddr, err)
		}
	}
	if err := s.serve("admin", adminLn, s.handler); err != nil {
		if debugLn != nil {
			_ = debugLn.Close() // nothing will serve it; do not hold the port
		}
		return err
	}
	s.addr.Store(adminLn.Addr().String())
	s.log.Info("admin listening", zap.String("addr", adminLn.Addr().String()),
		zap.String("metrics", "http://"+adminLn.Addr().String()+"/metrics"))
	if debugLn == nil {
		s.log.Info("debug listener off (admin.debug_addr is empty)")
		return nil
	}
	if err := s.serve("debug", debugLn, s.debugHandler); err != nil {
		return err // Stop shuts down the admin listener already serving
	}
	s.debugAddr.Store(debugLn.Addr().String())
	s.log.Info("debug listening", zap.String("addr", debugLn.Addr().String()),
		zap.String("pprof", "http://"+debugLn.Addr().String()+"/debug/pprof/"),
		zap.Bool("token", s.cfg.Token != ""))
	if s.cfg.Token == "" && !loopbackAddr(debugLn.Addr()) {
		s.log.Warn("debug listener reachable beyond loopback without a token, as admin.debug_allow_unauthenticated allows",
			zap.String("addr", debugLn.Addr().String()))
	}
	return nil
}

// serve serves ln with h in the group under name, and records the server
// for Stop in the same step, so a Stop racing with Start either shuts it
// down or makes serve refuse. When serve refuses, ln is closed.
func (s *Server) serve(name string, ln net.Listener, h http.Handler) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		_ = ln.Close() // nothing will serve it; do not hold the port
		return fmt.Errorf("admin: %s listener: %w", name, lifecycle.ErrStopping)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      2 * time.Minute, // pprof profiles stream for 30s by default
		IdleTimeout:       time.Minute,
	}
	if err := s.group.Go(name+"-http", func(context.Context) error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s listener: serve %s: %w", name, ln.Addr(), err)
		}
		return nil
	}); err != nil {
		_ = ln.Close() // nothing will serve it; do not hold the port
		return err
	}
	s.servers = append(s.servers, listening{name: name, srv: srv})
	return nil
}

// loopbackAddr reports whether a bound address is a loopback one.
func loopbackAddr(a net.Addr) bool {
	host, _, err := net.SplitHostPort(a.String())
	return err == nil && loopback(host)
}

// Addr returns the admin listener's bound address once Start succeeded,
// else "".
func (s *Server) Addr() string {
	a, _ := s.addr.Load().(string)
	return a
}

// DebugAddr returns the debug listener's bound address once Start
// succeeded with one configured, else "".
func (s *Server) DebugAddr() string {
	a, _ := s.debugAddr.Load().(string)
	return a
}

// BeginShutdown turns /readyz to 503 so the load balancer stops routing here
// while the rest of the service drains.
func (s *Server) BeginShutdown() { s.draining.Store(true) }

// Stop shuts both listeners down gracefully within ctx, the debug one
// first (a profile being streamed is what makes a shutdown wait), and
// waits for their serve loops to return. A listener whose requests are
// still running when ctx ends has its connections closed, so nothing
// outlives Stop; the error names it. Stop is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	s.stopped = true
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	var errs []error
	for _, l := range slices.Backward(servers) {
		if err := l.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("admin: shutdown %s listener: %w", l.name, err))
			if err := l.srv.Close(); err != nil {
				errs = append(errs, fmt.Errorf("admin: close %s listener: %w", l.name, err))
			}
		}
	}
	if err := s.group.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Failed is closed when the server stops serving on its own.
func (s *Server) Failed() <-chan struct{} { return s.group.Failed() }

// Err says why the server failed.
func (s *Server) Err() error { return s.group.Err() }
