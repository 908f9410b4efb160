package admin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

// TestBadInputOnEveryRoute sends what an operator's typo, a scanner or an
// attacker sends to each admin route, on the listener that serves it: a
// method the route does not take (405 with an Allow header listing those it
// does), a body over the limit (413, before routing and before the token
// check), garbage and unknown levels on PUT /loglevel (400, the level
// unchanged), a format /debug/consumer does not know (400), malformed tokens
// (401), and a debug route asked of the admin listener (404, or 405 for
// changing the level, naming the debug listener).
// (Long: one table per kind of bad input, every route in each.)
func TestBadInputOnEveryRoute(t *testing.T) {
	const (
		token = "tok"
		form  = "application/x-www-form-urlencoded"
	)
	oversized := strings.Repeat("x", bodyLimit+1)
	// A valid request padded past the limit: refused for its size alone.
	oversizedLevel := `{"level":"debug"}` + strings.Repeat(" ", bodyLimit)
	oversizedForm := "level=debug&pad=" + strings.Repeat("a", bodyLimit)
	tests := []struct {
		name                string
		method, target      string
		contentType, accept string
		authorization       string // sent instead of the right token
		anonymous           bool   // send no Authorization header at all
		body                string
		wantCode            int
		wantAllow           string        // the Allow header of a 405
		wantAnswer          string        // in the answer as sent (a JSON answer escapes quotes)
		wantType            string        // the answer's Content-Type, when it matters
		wantLevel           zapcore.Level // the level afterwards; it starts at info (0)
		onAdmin             bool          // sent to the admin listener, else to the debug listener
	}{
		// /healthz, /readyz, /metrics
		{name: "POST /healthz", method: http.MethodPost, target: "/healthz", onAdmin: true,
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "DELETE /healthz", method: http.MethodDelete, target: "/healthz", onAdmin: true,
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "GET /healthz with an oversized body", method: http.MethodGet, target: "/healthz", onAdmin: true, body: oversized,
			wantCode: http.StatusRequestEntityTooLarge, wantAnswer: "4096 bytes"},
		{name: "PUT /readyz", method: http.MethodPut, target: "/readyz", onAdmin: true,
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "GET /readyz with an oversized body", method: http.MethodGet, target: "/readyz", onAdmin: true, body: oversized,
			wantCode: http.StatusRequestEntityTooLarge, wantAnswer: "4096 bytes"},
		{name: "POST /metrics", method: http.MethodPost, target: "/metrics", onAdmin: true, body: "x",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "GET /metrics with an oversized body", method: http.MethodGet, target: "/metrics", onAdmin: true, body: oversized,
			wantCode: http.StatusRequestEntityTooLarge, wantAnswer: "4096 bytes"},

		// the admin listener keeps the level read-only and has no /debug/
		{name: "PUT /loglevel on the admin listener", method: http.MethodPut, target: "/loglevel", body: `{"level":"debug"}`, onAdmin: true,
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD", wantAnswer: "PUT /loglevel on the debug listener"},
		{name: "DELETE /loglevel on the admin listener", method: http.MethodDelete, target: "/loglevel", onAdmin: true,
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD", wantAnswer: "debug listener"},
		{name: "GET /debug/pprof/ on the admin listener", method: http.MethodGet, target: "/debug/pprof/", onAdmin: true,
			wantCode: http.StatusNotFound, wantAnswer: "served on the debug listener"},
		{name: "GET /debug/pprof/cmdline on the admin listener", method: http.MethodGet, target: "/debug/pprof/cmdline", onAdmin: true,
			wantCode: http.StatusNotFound, wantAnswer: "served on the debug listener"},
		{name: "POST /debug/pprof/symbol on the admin listener", method: http.MethodPost, target: "/debug/pprof/symbol", body: "zzz+0x0", onAdmin: true,
			wantCode: http.StatusNotFound, wantAnswer: "served on the debug listener"},
		{name: "GET /debug/consumer on the admin listener", method: http.MethodGet, target: "/debug/consumer", onAdmin: true,
			wantCode: http.StatusNotFound, wantAnswer: "served on the debug listener"},
		{name: "GET /metrics on the debug listener", method: http.MethodGet, target: "/metrics",
			wantCode: http.StatusNotFound},

		// /loglevel: methods
		{name: "DELETE /loglevel", method: http.MethodDelete, target: "/loglevel",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD, PUT"},
		{name: "POST /loglevel with a valid level", method: http.MethodPost, target: "/loglevel", body: `{"level":"debug"}`,
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD, PUT"},
		{name: "PATCH /loglevel with a valid level", method: http.MethodPatch, target: "/loglevel", body: `{"level":"debug"}`,
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD, PUT"},

		// PUT /loglevel: bodies
		{name: "PUT /loglevel empty body", method: http.MethodPut, target: "/loglevel",
			wantCode: http.StatusBadRequest, wantAnswer: "malformed request body"},
		{name: "PUT /loglevel garbage", method: http.MethodPut, target: "/loglevel", body: "hello",
			wantCode: http.StatusBadRequest, wantAnswer: "malformed request body"},
		{name: "PUT /loglevel garbage after the object", method: http.MethodPut, target: "/loglevel", body: `{"level":"debug"}garbage`,
			wantCode: http.StatusBadRequest, wantAnswer: "malformed request body"},
		{name: "PUT /loglevel two objects", method: http.MethodPut, target: "/loglevel", body: `{"level":"debug"}{"level":"error"}`,
			wantCode: http.StatusBadRequest, wantAnswer: "malformed request body"},
		{name: "PUT /loglevel level is a number", method: http.MethodPut, target: "/loglevel", body: `{"level":1}`,
			wantCode: http.StatusBadRequest, wantAnswer: "malformed request body"},
		{name: "PUT /loglevel body is an array", method: http.MethodPut, target: "/loglevel", body: `["debug"]`,
			wantCode: http.StatusBadRequest, wantAnswer: "malformed request body"},
		{name: "PUT /loglevel body is null", method: http.MethodPut, target: "/loglevel", body: `null`,
			wantCode: http.StatusBadRequest, wantAnswer: `\"\" is not one of debug, info, warn, error`},
		{name: "PUT /loglevel oversized valid level", method: http.MethodPut, target: "/loglevel", body: oversizedLevel,
			wantCode: http.StatusRequestEntityTooLarge, wantAnswer: "4096 bytes"},
		{name: "PUT /loglevel oversized valid form", method: http.MethodPut, target: "/loglevel", contentType: form, body: oversizedForm,
			wantCode: http.StatusRequestEntityTooLarge, wantAnswer: "4096 bytes"},
		{name: "PUT /loglevel malformed form", method: http.MethodPut, target: "/loglevel", contentType: form, body: "level=%zz",
			wantCode: http.StatusBadRequest, wantAnswer: "malformed form"},
		{name: "PUT /loglevel JSON sent as a form", method: http.MethodPut, target: "/loglevel", contentType: form, body: `{"level":"debug"}`,
			wantCode: http.StatusBadRequest, wantAnswer: "debug, info, warn, error"},
		{name: "PUT /loglevel JSON as text/plain is JSON, as for zap", method: http.MethodPut, target: "/loglevel", contentType: "text/plain",
			body: `{"level":"debug"}`, wantCode: http.StatusOK, wantAnswer: `{"level":"debug"}`, wantLevel: zapcore.DebugLevel},

		// PUT /loglevel: levels (logging.ParseLevel: debug, info, warn or
		// error in any letter case, nothing else)
		{name: "PUT /loglevel verbose", method: http.MethodPut, target: "/loglevel", body: `{"level":"verbose"}`,
			wantCode: http.StatusBadRequest, wantAnswer: `\"verbose\" is not one of debug, info, warn, error`},
		{name: "PUT /loglevel trace", method: http.MethodPut, target: "/loglevel", body: `{"level":"trace"}`,
			wantCode: http.StatusBadRequest, wantAnswer: "debug, info, warn, error"},
		{name: "PUT /loglevel zap's warning alias", method: http.MethodPut, target: "/loglevel", body: `{"level":"warning"}`,
			wantCode: http.StatusBadRequest, wantAnswer: "debug, info, warn, error"},
		{name: "PUT /loglevel trailing space", method: http.MethodPut, target: "/loglevel", body: `{"level":"DEBUG "}`,
			wantCode: http.StatusBadRequest, wantAnswer: "debug, info, warn, error"},
		{name: "PUT /loglevel leading space", method: http.MethodPut, target: "/loglevel", body: `{"level":" debug"}`,
			wantCode: http.StatusBadRequest, wantAnswer: "debug, info, warn, error"},
		{name: "PUT /loglevel numeric level", method: http.MethodPut, target: "/loglevel", body: `{"level":"-1"}`,
			wantCode: http.StatusBadRequest, wantAnswer: "debug, info, warn, error"},
		{name: "PUT /loglevel mixed case is a level", method: http.MethodPut, target: "/loglevel", body: `{"level":"Debug"}`,
			wantCode: http.StatusOK, wantAnswer: `{"level":"debug"}`, wantLevel: zapcore.DebugLevel},
		{name: "PUT /loglevel form verbose", method: http.MethodPut, target: "/loglevel", contentType: form, body: "level=verbose",
			wantCode: http.StatusBadRequest, wantAnswer: "debug, info, warn, error"},

		// /debug/consumer
		{name: "POST /debug/consumer", method: http.MethodPost, target: "/debug/consumer",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "GET /debug/consumer?format=garbage", method: http.MethodGet, target: "/debug/consumer?format=garbage",
			wantCode: http.StatusBadRequest, wantAnswer: `format "garbage": must be json or html`},
		{name: "GET /debug/consumer?format=HTML", method: http.MethodGet, target: "/debug/consumer?format=HTML",
			wantCode: http.StatusBadRequest, wantAnswer: "must be json or html"},
		{name: "GET /debug/consumer?format=json from a browser", method: http.MethodGet, target: "/debug/consumer?format=json",
			accept: "text/html,application/xhtml+xml,*/*;q=0.8", wantCode: http.StatusOK, wantType: "application/json", wantAnswer: `"group": "g1"`},
		{name: "GET /debug/consumer oversized without the token", method: http.MethodGet, target: "/debug/consumer", anonymous: true,
			body: oversized, wantCode: http.StatusRequestEntityTooLarge, wantAnswer: "4096 bytes"},

		// /debug/pprof/
		{name: "DELETE /debug/pprof/", method: http.MethodDelete, target: "/debug/pprof/",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "POST /debug/pprof/heap", method: http.MethodPost, target: "/debug/pprof/heap",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "POST /debug/pprof/cmdline", method: http.MethodPost, target: "/debug/pprof/cmdline",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "PUT /debug/pprof/profile", method: http.MethodPut, target: "/debug/pprof/profile?seconds=1",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "POST /debug/pprof/trace", method: http.MethodPost, target: "/debug/pprof/trace?seconds=0.1",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "DELETE /debug/pprof/symbol", method: http.MethodDelete, target: "/debug/pprof/symbol",
			wantCode: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD, POST"},
		{name: "POST /debug/pprof/symbol garbage, as go tool pprof posts", method: http.MethodPost, target: "/debug/pprof/symbol",
			body: "zzz+0x0", wantCode: http.StatusOK, wantAnswer: "num_symbols"},
		{name: "POST /debug/pprof/symbol oversized", method: http.MethodPost, target: "/debug/pprof/symbol", body: oversized,
			wantCode: http.StatusRequestEntityTooLarge, wantAnswer: "4096 bytes"},

		// the token
		{name: "token with an empty bearer", method: http.MethodGet, target: "/debug/consumer", authorization: "Bearer ",
			wantCode: http.StatusUnauthorized},
		{name: "token with a trailing space", method: http.MethodGet, target: "/debug/consumer", authorization: "Bearer " + token + " ",
			wantCode: http.StatusUnauthorized},
		{name: "token under another scheme", method: http.MethodGet, target: "/debug/consumer", authorization: "Basic " + token,
			wantCode: http.StatusUnauthorized},
		{name: "token twice", method: http.MethodPut, target: "/loglevel", authorization: "Bearer " + token + "Bearer " + token,
			body: `{"level":"debug"}`, wantCode: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
			state := inspectable{map[string]any{"group": "g1"}}
			s := admin.New(admin.Config{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0", Token: token}, admin.NewRegistry(), level, state, zap.NewNop())
			h := s.DebugHandler()
			if tt.onAdmin {
				h = s.Handler()
			}

			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			switch {
			case tt.anonymous:
			case tt.authorization != "":
				req.Header.Set("Authorization", tt.authorization)
			default:
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			answer, _ := io.ReadAll(rec.Result().Body)

			if rec.Code != tt.wantCode {
				t.Errorf("status = %d, want %d (answer %.300q)", rec.Code, tt.wantCode, answer)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if !strings.Contains(string(answer), tt.wantAnswer) {
				t.Errorf("answer %.300q does not contain %q", answer, tt.wantAnswer)
			}
			if got := rec.Header().Get("Content-Type"); tt.wantType != "" && got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if tt.wantCode == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge")
			}
			if got := level.Level(); got != tt.wantLevel {
				t.Errorf("level afterwards = %v, want %v", got, tt.wantLevel)
			}
		})
	}
}
