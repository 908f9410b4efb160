package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// fakeChecker is a Checker whose answers the test sets. It is safe for
// concurrent use because a started server calls it from its own goroutines.
type fakeChecker struct {
	mu    sync.Mutex
	live  error
	ready error
}

func (c *fakeChecker) Live() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

func (c *fakeChecker) Ready() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready
}

func (c *fakeChecker) setLive(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = err
}

func (c *fakeChecker) setReady(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ready = err
}

// newServer builds a server with a fresh registry, a Nop logger and the
// given level and checker.
func newServer(cfg admin.Config, level zap.AtomicLevel, checker admin.Checker) *admin.Server {
	return admin.New(cfg, admin.NewRegistry(), level, checker, zap.NewNop())
}

// response is what serve returns: the parts of an HTTP response the tests
// look at, with the body already read and closed.
type response struct {
	code   int
	header http.Header
	body   string
}

// serve sends one request through h without a listener.
func serve(t *testing.T, h http.Handler, method, path, authorization, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{code: res.StatusCode, header: res.Header, body: string(b)}
}

// decodeProbe decodes a /healthz or /readyz body into its JSON fields.
func decodeProbe(t *testing.T, body string) map[string]string {
	t.Helper()
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("probe body %q is not a JSON object of strings: %v", body, err)
	}
	return got
}

func checkProbe(t *testing.T, what string, res response, wantCode int, want map[string]string) {
	t.Helper()
	if res.code != wantCode {
		t.Errorf("%s: status = %d, want %d (body %q)", what, res.code, wantCode, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json", what, ct)
	}
	if got := decodeProbe(t, res.body); !maps.Equal(got, want) {
		t.Errorf("%s: body = %v, want %v", what, got, want)
	}
}

func TestHealthzReflectsChecker(t *testing.T) {
	tests := []struct {
		name     string
		live     error
		wantCode int
		want     map[string]string
	}{
		{
			name:     "live",
			live:     nil,
			wantCode: http.StatusOK,
			want:     map[string]string{"status": "ok"},
		},
		{
			name:     "stalled",
			live:     errors.New("partition orders/3 stalled for 2m0s at offset 41"),
			wantCode: http.StatusServiceUnavailable,
			want: map[string]string{
				"status": "unavailable",
				"reason": "partition orders/3 stalled for 2m0s at offset 41",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checker := &fakeChecker{}
			checker.setLive(tt.live)
			// Readiness must not leak into liveness.
			checker.setReady(errors.New("not ready"))
			s := newServer(admin.DefaultConfig(), zap.NewAtomicLevel(), checker)

			res := serve(t, s.Handler(), http.MethodGet, "/healthz", "", "")
			checkProbe(t, "GET /healthz", res, tt.wantCode, tt.want)
		})
	}
}

func TestReadyzTurns503OnBeginShutdown(t *testing.T) {
	checker := &fakeChecker{}
	s := newServer(admin.DefaultConfig(), zap.NewAtomicLevel(), checker)
	h := s.Handler()
	ok := map[string]string{"status": "ok"}

	checkProbe(t, "ready", serve(t, h, http.MethodGet, "/readyz", "", ""), http.StatusOK, ok)

	checker.setReady(errors.New("not joined to group orders"))
	checkProbe(t, "not ready", serve(t, h, http.MethodGet, "/readyz", "", ""),
		http.StatusServiceUnavailable,
		map[string]string{"status": "unavailable", "reason": "not joined to group orders"})

	checker.setReady(nil)
	checkProbe(t, "ready again", serve(t, h, http.MethodGet, "/readyz", "", ""), http.StatusOK, ok)

	s.BeginShutdown()
	shuttingDown := map[string]string{"status": "unavailable", "reason": "shutting down"}
	checkProbe(t, "after BeginShutdown", serve(t, h, http.MethodGet, "/readyz", "", ""),
		http.StatusServiceUnavailable, shuttingDown)

	// Shutdown wins over whatever the checker says.
	checker.setReady(errors.New("not joined"))
	checkProbe(t, "after BeginShutdown, checker not ready", serve(t, h, http.MethodGet, "/readyz", "", ""),
		http.StatusServiceUnavailable, shuttingDown)

	// Liveness is unaffected by draining.
	checkProbe(t, "healthz while draining", serve(t, h, http.MethodGet, "/healthz", "", ""), http.StatusOK, ok)
}

func TestMetricsServesOwnRegistry(t *testing.T) {
	reg := admin.NewRegistry()
	counter := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "admin_test_probe_total",
		Help: "Counts nothing; proves the registry is served.",
	})
	reg.MustRegister(counter)
	counter.Add(3)

	// A counter on some other registry must not show up.
	other := prometheus.NewRegistry()
	stranger := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "admin_test_stranger_total",
		Help: "Registered elsewhere.",
	})
	other.MustRegister(stranger)
	stranger.Inc()

	s := admin.New(admin.DefaultConfig(), reg, zap.NewAtomicLevel(), &fakeChecker{}, zap.NewNop())
	res := serve(t, s.Handler(), http.MethodGet, "/metrics", "", "")
	if res.code != http.StatusOK {
		t.Fatalf("GET /metrics: status = %d, want 200 (body %q)", res.code, res.body)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics: Content-Type = %q, want text/plain...", ct)
	}
	metrics := consumertest.Parse(t, &http.Response{StatusCode: res.code, Header: res.header, Body: io.NopCloser(strings.NewReader(res.body))})
	if got := consumertest.CounterValue(t, metrics, "admin_test_probe_total", nil); got != 3 {
		t.Errorf("GET /metrics: admin_test_probe_total = %v, want 3", got)
	}
	families, err := metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var goroutines, process, foreign bool
	for _, mf := range families {
		goroutines = goroutines || mf.GetName() == "go_goroutines"
		process = process || strings.HasPrefix(mf.GetName(), "process_")
		foreign = foreign || mf.GetName() == "admin_test_stranger_total"
	}
	if !goroutines || !process {
		t.Errorf("GET /metrics: go_goroutines served %v, process_* served %v; want the Go and process collectors", goroutines, process)
	}
	if foreign {
		t.Errorf("GET /metrics: body shows a metric from another registry")
	}
}

func TestLogLevelGetAndPut(t *testing.T) {
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	s := newServer(admin.DefaultConfig(), level, &fakeChecker{})
	h := s.Handler()

	decodeLevel := func(what string, res response) string {
		t.Helper()
		if res.code != http.StatusOK {
			t.Fatalf("%s: status = %d, want 200 (body %q)", what, res.code, res.body)
		}
		var got struct {
			Level string `json:"level"`
		}
		if err := json.Unmarshal([]byte(res.body), &got); err != nil {
			t.Fatalf("%s: body %q: %v", what, res.body, err)
		}
		return got.Level
	}

	if got := decodeLevel("GET /loglevel", serve(t, h, http.MethodGet, "/loglevel", "", "")); got != "info" {
		t.Errorf("GET /loglevel: level = %q, want info", got)
	}

	res := serve(t, h, http.MethodPut, "/loglevel", "", `{"level":"debug"}`)
	if got := decodeLevel("PUT /loglevel", res); got != "debug" {
		t.Errorf("PUT /loglevel: answered level = %q, want debug", got)
	}
	if got := level.Level(); got != zapcore.DebugLevel {
		t.Errorf("after PUT /loglevel: AtomicLevel = %v, want debug", got)
	}

	if got := decodeLevel("GET /loglevel after PUT", serve(t, h, http.MethodGet, "/loglevel", "", "")); got != "debug" {
		t.Errorf("GET /loglevel after PUT: level = %q, want debug", got)
	}
}

func TestTokenGuardsDebugAndLogLevelPut(t *testing.T) {
	const token = "s3cret"
	tests := []struct {
		name          string
		configToken   string
		method, path  string
		authorization string
		body          string
		wantCode      int
		wantLevel     zapcore.Level // the AtomicLevel afterwards; it starts at info
	}{
		{name: "pprof without header", configToken: token, method: http.MethodGet, path: "/debug/pprof/",
			wantCode: http.StatusUnauthorized},
		{name: "pprof with wrong token", configToken: token, method: http.MethodGet, path: "/debug/pprof/",
			authorization: "Bearer wrong", wantCode: http.StatusUnauthorized},
		{name: "pprof with bare token", configToken: token, method: http.MethodGet, path: "/debug/pprof/",
			authorization: token, wantCode: http.StatusUnauthorized},
		{name: "pprof with token prefix", configToken: token, method: http.MethodGet, path: "/debug/pprof/",
			authorization: "Bearer s3cre", wantCode: http.StatusUnauthorized},
		{name: "pprof with right token", configToken: token, method: http.MethodGet, path: "/debug/pprof/",
			authorization: "Bearer " + token, wantCode: http.StatusOK},
		{name: "pprof cmdline without header", configToken: token, method: http.MethodGet, path: "/debug/pprof/cmdline",
			wantCode: http.StatusUnauthorized},
		{name: "pprof heap without header", configToken: token, method: http.MethodGet, path: "/debug/pprof/heap",
			wantCode: http.StatusUnauthorized},
		{name: "put loglevel without token", configToken: token, method: http.MethodPut, path: "/loglevel",
			body: `{"level":"debug"}`, wantCode: http.StatusUnauthorized},
		{name: "put loglevel with wrong token", configToken: token, method: http.MethodPut, path: "/loglevel",
			authorization: "Bearer nope", body: `{"level":"debug"}`, wantCode: http.StatusUnauthorized},
		{name: "put loglevel with right token", configToken: token, method: http.MethodPut, path: "/loglevel",
			authorization: "Bearer " + token, body: `{"level":"debug"}`, wantCode: http.StatusOK,
			wantLevel: zapcore.DebugLevel},
		{name: "put loglevel fatal with right token", configToken: token, method: http.MethodPut, path: "/loglevel",
			authorization: "Bearer " + token, body: `{"level":"fatal"}`, wantCode: http.StatusBadRequest,
			wantLevel: zapcore.InfoLevel},
		{name: "put loglevel fatal without token", configToken: token, method: http.MethodPut, path: "/loglevel",
			body: `{"level":"fatal"}`, wantCode: http.StatusUnauthorized},
		{name: "get loglevel needs no token", configToken: token, method: http.MethodGet, path: "/loglevel",
			wantCode: http.StatusOK},
		{name: "metrics needs no token", configToken: token, method: http.MethodGet, path: "/metrics",
			wantCode: http.StatusOK},
		{name: "healthz needs no token", configToken: token, method: http.MethodGet, path: "/healthz",
			wantCode: http.StatusOK},
		{name: "readyz needs no token", configToken: token, method: http.MethodGet, path: "/readyz",
			wantCode: http.StatusOK},
		{name: "no token configured: pprof open", method: http.MethodGet, path: "/debug/pprof/",
			wantCode: http.StatusOK},
		{name: "no token configured: put loglevel open", method: http.MethodPut, path: "/loglevel",
			body: `{"level":"debug"}`, wantCode: http.StatusOK, wantLevel: zapcore.DebugLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
			cfg := admin.Config{Addr: "127.0.0.1:0", Token: tt.configToken}
			s := newServer(cfg, level, &fakeChecker{})

			res := serve(t, s.Handler(), tt.method, tt.path, tt.authorization, tt.body)
			if res.code != tt.wantCode {
				t.Errorf("%s %s: status = %d, want %d (body %q)", tt.method, tt.path, res.code, tt.wantCode, res.body)
			}
			if tt.wantCode == http.StatusUnauthorized {
				if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("401 without a Bearer WWW-Authenticate challenge: %q", got)
				}
			}
			if got := level.Level(); got != tt.wantLevel {
				t.Errorf("AtomicLevel afterwards = %v, want %v", got, tt.wantLevel)
			}
		})
	}
}

func TestStartFailsWhenPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("occupy a port: %v", err)
	}
	defer ln.Close()
	addr := ln.Addr().String()

	s := newServer(admin.Config{Addr: addr}, zap.NewAtomicLevel(), &fakeChecker{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	err = s.Start(ctx)
	if err == nil {
		_ = s.Stop(ctx)
		t.Fatalf("Start on %s, which is in use: got nil error", addr)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("Start error %q does not mention the address %s", err, addr)
	}
	if got := s.Addr(); got != "" {
		t.Errorf("Addr after failed Start = %q, want empty", got)
	}
	// Stop after a failed Start is harmless, so a runner can always call it.
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop after failed Start: %v", err)
	}
}

func TestStartStopServesAndReleasesPort(t *testing.T) {
	s := newServer(admin.Config{Addr: "127.0.0.1:0"}, zap.NewAtomicLevel(), &fakeChecker{})
	if got := s.Addr(); got != "" {
		t.Errorf("Addr before Start = %q, want empty", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // hang guard
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = s.Stop(ctx)
		}
	}()

	addr := s.Addr()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr = %q (%v), want 127.0.0.1:<bound port>", addr, err)
	}

	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /healthz over TCP: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("GET /healthz over TCP: read body: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz over TCP: status = %d, want 200 (body %q)", res.StatusCode, body)
	}

	stopped = true
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v, want nil (idempotent)", err)
	}

	select {
	case <-s.Failed():
		t.Errorf("Failed() is closed after a clean Stop; Err = %v", s.Err())
	default:
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err after clean Stop = %v, want nil", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port %s not released after Stop: %v", addr, err)
	}
	ln.Close()
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		addr    string
		wantErr bool
	}{
		{addr: "127.0.0.1:9090"},
		{addr: ":9090"},
		{addr: "9090", wantErr: true},
		{addr: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			errs := admin.Config{Addr: tt.addr}.Validate()
			if !tt.wantErr {
				if len(errs) != 0 {
					t.Errorf("Validate(%q) = %v, want no errors", tt.addr, errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("Validate(%q) = no errors, want one naming admin.addr", tt.addr)
			}
			for _, err := range errs {
				if !strings.Contains(err.Error(), "admin.addr") {
					t.Errorf("Validate(%q) error %q does not name the setting admin.addr", tt.addr, err)
				}
			}
		})
	}
	if errs := admin.DefaultConfig().Validate(); len(errs) != 0 {
		t.Errorf("DefaultConfig().Validate() = %v, want no errors", errs)
	}
}

func TestStartAfterStopFailsAndReleasesPort(t *testing.T) {
	s := newServer(admin.Config{Addr: "127.0.0.1:0"}, zap.NewAtomicLevel(), &fakeChecker{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // hang guard
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	if err := s.Start(ctx); err == nil {
		t.Errorf("Start after Stop: got nil error, want one")
	}
	// Whatever the refused Start bound, nothing may listen there now.
	if addr := s.Addr(); addr != "" {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err == nil {
			conn.Close()
			t.Fatalf("port %s still held after a refused Start", addr)
		}
	}
}
