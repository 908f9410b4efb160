package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

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

// TestLogLevelGetAndPut: the debug listener reads and changes the level;
// the admin listener reads it, and sees the change.
func TestLogLevelGetAndPut(t *testing.T) {
	level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
	s := newServer(admin.DefaultConfig(), level, &fakeChecker{})
	debug, adm := s.DebugHandler(), s.Handler()

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

	for name, h := range map[string]http.Handler{"debug": debug, "admin": adm} {
		if got := decodeLevel("GET /loglevel on the "+name+" listener", serve(t, h, http.MethodGet, "/loglevel", "", "")); got != "info" {
			t.Errorf("GET /loglevel on the %s listener: level = %q, want info", name, got)
		}
	}

	res := serve(t, debug, http.MethodPut, "/loglevel", "", `{"level":"debug"}`)
	if got := decodeLevel("PUT /loglevel", res); got != "debug" {
		t.Errorf("PUT /loglevel: answered level = %q, want debug", got)
	}
	if got := level.Level(); got != zapcore.DebugLevel {
		t.Errorf("after PUT /loglevel: AtomicLevel = %v, want debug", got)
	}

	for name, h := range map[string]http.Handler{"debug": debug, "admin": adm} {
		if got := decodeLevel("GET /loglevel after PUT on the "+name+" listener", serve(t, h, http.MethodGet, "/loglevel", "", "")); got != "debug" {
			t.Errorf("GET /loglevel after PUT on the %s listener: level = %q, want debug", name, got)
		}
	}
}

// TestTokenGuardsTheDebugListener: with a token configured, every route of
// the debug listener answers 401 without the exact bearer token (GET
// /loglevel included) and serves with it; the admin listener's routes need
// no token. Without a token configured the debug routes are open.
func TestTokenGuardsTheDebugListener(t *testing.T) {
	const token = "s3cret"
	tests := []struct {
		name          string
		configToken   string
		onAdmin       bool // sent to the admin listener, else to the debug one
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
		{name: "pprof cmdline with wrong token", configToken: token, method: http.MethodGet, path: "/debug/pprof/cmdline",
			authorization: "Bearer wrong", wantCode: http.StatusUnauthorized},
		{name: "pprof cmdline with right token", configToken: token, method: http.MethodGet, path: "/debug/pprof/cmdline",
			authorization: "Bearer " + token, wantCode: http.StatusOK},
		{name: "pprof heap without header", configToken: token, method: http.MethodGet, path: "/debug/pprof/heap",
			wantCode: http.StatusUnauthorized},
		{name: "pprof heap with right token", configToken: token, method: http.MethodGet, path: "/debug/pprof/heap",
			authorization: "Bearer " + token, wantCode: http.StatusOK},
		{name: "pprof symbol POST without header", configToken: token, method: http.MethodPost, path: "/debug/pprof/symbol",
			body: "0x0", wantCode: http.StatusUnauthorized},
		{name: "pprof symbol POST with right token", configToken: token, method: http.MethodPost, path: "/debug/pprof/symbol",
			authorization: "Bearer " + token, body: "0x0", wantCode: http.StatusOK},
		{name: "debug consumer without header", configToken: token, method: http.MethodGet, path: "/debug/consumer",
			wantCode: http.StatusUnauthorized},
		{name: "debug consumer with wrong token", configToken: token, method: http.MethodGet, path: "/debug/consumer",
			authorization: "Bearer wrong", wantCode: http.StatusUnauthorized},
		{name: "wrong method without header", configToken: token, method: http.MethodDelete, path: "/debug/pprof/",
			wantCode: http.StatusUnauthorized},
		{name: "unknown path without header", configToken: token, method: http.MethodGet, path: "/debug/nothing",
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
		{name: "get loglevel on the debug listener without token", configToken: token, method: http.MethodGet, path: "/loglevel",
			wantCode: http.StatusUnauthorized},
		{name: "get loglevel on the debug listener with right token", configToken: token, method: http.MethodGet, path: "/loglevel",
			authorization: "Bearer " + token, wantCode: http.StatusOK},
		{name: "get loglevel on the admin listener needs no token", configToken: token, onAdmin: true, method: http.MethodGet, path: "/loglevel",
			wantCode: http.StatusOK},
		{name: "metrics needs no token", configToken: token, onAdmin: true, method: http.MethodGet, path: "/metrics",
			wantCode: http.StatusOK},
		{name: "healthz needs no token", configToken: token, onAdmin: true, method: http.MethodGet, path: "/healthz",
			wantCode: http.StatusOK},
		{name: "readyz needs no token", configToken: token, onAdmin: true, method: http.MethodGet, path: "/readyz",
			wantCode: http.StatusOK},
		{name: "no token configured: pprof open", method: http.MethodGet, path: "/debug/pprof/",
			wantCode: http.StatusOK},
		{name: "no token configured: put loglevel open", method: http.MethodPut, path: "/loglevel",
			body: `{"level":"debug"}`, wantCode: http.StatusOK, wantLevel: zapcore.DebugLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
			cfg := admin.Config{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0", Token: tt.configToken}
			s := newServer(cfg, level, inspectable{map[string]any{"group": "g"}})
			h := s.DebugHandler()
			if tt.onAdmin {
				h = s.Handler()
			}

			res := serve(t, h, tt.method, tt.path, tt.authorization, tt.body)
			if res.code != tt.wantCode {
				t.Errorf("%s %s: status = %d, want %d (body %q)", tt.method, tt.path, res.code, tt.wantCode, res.body)
			}
			if tt.wantCode == http.StatusUnauthorized {
				if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("401 without a Bearer WWW-Authenticate challenge: %q", got)
				}
				if strings.Contains(res.body, "goroutine") || strings.Contains(res.body, "group") {
					t.Errorf("401 answer shows what it guards: %q", res.body)
				}
			}
			if got := level.Level(); got != tt.wantLevel {
				t.Errorf("AtomicLevel afterwards = %v, want %v", got, tt.wantLevel)
			}
		})
	}
}
