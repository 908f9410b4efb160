package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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

// Server is the admin HTTP server.
//
// Start binds the listener before returning, so a port already in use fails
// start-up instead of surfacing later. /readyz turns 503 as soon as
// BeginShutdown is called, before anything else stops.
type Server struct {
	cfg      Config
	log      *zap.Logger
	checker  Checker
	handler  http.Handler
	group    *lifecycle.Group
	srv      *http.Server
	addr     atomic.Value // string: the bound address, once started
	draining atomic.Bool
}

// New builds the server; it listens only when Start is called.
func New(cfg Config, reg *prometheus.Registry, level zap.AtomicLevel, checker Checker, log *zap.Logger) *Server {
	s := &Server{cfg: cfg, log: log.Named("admin"), checker: checker, group: lifecycle.NewGroup("admin")}
	s.handler = s.routes(reg, level)
	return s
}

// routes serves every path with the methods it names; any other method gets
// 405 with an Allow header listing the right ones (GET also allows HEAD).
// Every request body is bounded by limitBody before a route sees it.
func (s *Server) routes(reg *prometheus.Registry, level zap.AtomicLevel) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:            reg, // counts promhttp's own errors
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /loglevel", level)
	mux.Handle("PUT /loglevel", s.guard(putLogLevel(level)))
	mux.Handle("GET /debug/consumer", s.guard(http.HandlerFunc(s.debugConsumer)))
	mux.Handle("GET /debug/pprof/", s.guard(http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/cmdline", s.guard(http.HandlerFunc(pprof.Cmdline)))
	mux.Handle("GET /debug/pprof/profile", s.guard(http.HandlerFunc(pprof.Profile)))
	// go tool pprof looks symbols up with a POST listing the addresses.
	mux.Handle("GET /debug/pprof/symbol", s.guard(http.HandlerFunc(pprof.Symbol)))
	mux.Handle("POST /debug/pprof/symbol", s.guard(http.HandlerFunc(pprof.Symbol)))
	mux.Handle("GET /debug/pprof/trace", s.guard(http.HandlerFunc(pprof.Trace)))
	return limitBody(mux)
}

// Handler returns the server's routes, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// guard requires the bearer token when one is configured.
func (s *Server) guard(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="consumerkit-admin"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

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

// Start listens on cfg.Addr and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("admin: listen %s: %w", s.cfg.Addr, err)
	}
	s.addr.Store(ln.Addr().String())
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      2 * time.Minute, // pprof profiles stream for 30s by default
		IdleTimeout:       time.Minute,
	}
	s.log.Info("admin listening", zap.String("addr", ln.Addr().String()),
		zap.String("metrics", "http://"+ln.Addr().String()+"/metrics"))
	if err := s.group.Go("http", func(context.Context) error {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve %s: %w", ln.Addr(), err)
		}
		return nil
	}); err != nil {
		_ = ln.Close() // nothing will serve it; do not hold the port
		return err
	}
	return nil
}

// Addr returns the bound address once Start succeeded, else "".
func (s *Server) Addr() string {
	a, _ := s.addr.Load().(string)
	return a
}

// BeginShutdown turns /readyz to 503 so the load balancer stops routing here
// while the rest of the service drains.
func (s *Server) BeginShutdown() { s.draining.Store(true) }

// Stop shuts the listener down gracefully within ctx and waits for the serve
// loop to return.
func (s *Server) Stop(ctx context.Context) error {
	s.draining.Store(true)
	var errs []error
	if s.srv != nil {
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("admin: shutdown: %w", err))
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
