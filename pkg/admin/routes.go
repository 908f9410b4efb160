package admin

import (
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// adminRoutes are the admin listener's: what probes and Prometheus reach,
// never behind the token. Every path is served with the methods it names;
// any other method gets 405 with an Allow header listing the right ones
// (GET also allows HEAD). Every request body is bounded by limitBody
// before a route sees it.
//
// Anything under /debug/ is 404 here, with an answer saying where the
// debug routes went, so an operator's old bookmark explains itself.
func (s *Server) adminRoutes(reg *prometheus.Registry, level zap.AtomicLevel) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:            reg, // counts promhttp's own errors
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	// Read-only: zap's handler would take PUT too, so only GET reaches it.
	mux.Handle("GET /loglevel", level)
	mux.HandleFunc("/loglevel", onlyRead)
	mux.HandleFunc("/debug/", notHere)
	return limitBody(mux)
}

// debugRoutes are the debug listener's: pprof, /debug/consumer and the log
// level, every one behind the token when one is set. The body limit comes
// first, so an oversized request is refused before the token is checked;
// the token comes before routing, so a caller without it learns nothing,
// not even which paths and methods exist.
func (s *Server) debugRoutes(level zap.AtomicLevel) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /loglevel", level)
	mux.Handle("PUT /loglevel", putLogLevel(level))
	mux.HandleFunc("GET /debug/consumer", s.debugConsumer)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	// go tool pprof looks symbols up with a POST listing the addresses.
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return limitBody(s.guard(mux))
}

// onlyRead answers a method other than GET or HEAD on the admin
// listener's /loglevel: 405, as for any route, saying where the level is
// changed.
func onlyRead(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "the admin listener only reads the level; PUT /loglevel on the debug listener (admin.debug_addr, DEBUG_ADDR)",
		http.StatusMethodNotAllowed)
}

// notHere answers /debug/ paths on the admin listener.
func notHere(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "404 page not found: /debug/ is served on the debug listener (admin.debug_addr, DEBUG_ADDR)", http.StatusNotFound)
}

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
