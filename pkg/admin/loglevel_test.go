package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

// TestLogLevelPutRefusesLevelsThatSilenceErrors: PUT /loglevel takes every
// request shape zap's own handler takes (JSON body; form body or query with
// the form content type), but refuses dpanic, panic, fatal and anything else
// log.level refuses with 400 and a JSON error naming the allowed levels,
// leaving the level, as GET /loglevel reports it, where it was.
// (Long: one table of request shapes, and the level read back after each.)
func TestLogLevelPutRefusesLevelsThatSilenceErrors(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		target      string // path and query
		contentType string
		body        string
		wantCode    int
		wantLevel   string // as GET /loglevel reports it afterwards; it starts at info
		wantError   string // in the error body of a 400
	}{
		{name: "json warn", target: "/loglevel", body: `{"level":"warn"}`, wantCode: http.StatusOK, wantLevel: "warn"},
		{name: "json upper-case ERROR", target: "/loglevel", contentType: "application/json", body: `{"level":"ERROR"}`,
			wantCode: http.StatusOK, wantLevel: "error"},
		{name: "form body warn", target: "/loglevel", contentType: form, body: "level=warn", wantCode: http.StatusOK, wantLevel: "warn"},
		{name: "form query warn", target: "/loglevel?level=warn", contentType: form, wantCode: http.StatusOK, wantLevel: "warn"},
		{name: "json fatal", target: "/loglevel", body: `{"level":"fatal"}`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "json panic", target: "/loglevel", body: `{"level":"panic"}`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "json dpanic", target: "/loglevel", body: `{"level":"dpanic"}`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "json upper-case FATAL", target: "/loglevel", body: `{"level":"FATAL"}`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "json garbage level", target: "/loglevel", body: `{"level":"loud"}`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "json empty level", target: "/loglevel", body: `{"level":""}`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "json without level", target: "/loglevel", body: `{}`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "malformed json", target: "/loglevel", body: `level=debug`,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "malformed request body"},
		{name: "form body fatal", target: "/loglevel", contentType: form, body: "level=fatal",
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "form query fatal", target: "/loglevel?level=fatal", contentType: form,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "form body fatal beats query debug", target: "/loglevel?level=debug", contentType: form, body: "level=fatal",
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
		{name: "form without level", target: "/loglevel", contentType: form,
			wantCode: http.StatusBadRequest, wantLevel: "info", wantError: "debug, info, warn, error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
			h := newServer(admin.DefaultConfig(), level, &fakeChecker{}).DebugHandler()

			req := httptest.NewRequest(http.MethodPut, tt.target, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Result().Body)
			if rec.Code != tt.wantCode {
				t.Fatalf("PUT %s %q: status = %d, want %d (body %q)", tt.target, tt.body, rec.Code, tt.wantCode, body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("PUT %s %q: Content-Type = %q, want application/json", tt.target, tt.body, ct)
			}
			var got struct {
				Level string `json:"level"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("PUT %s %q: body %q is not JSON: %v", tt.target, tt.body, body, err)
			}
			if tt.wantCode == http.StatusOK && got.Level != tt.wantLevel {
				t.Errorf("PUT %s %q: answered level %q, want %q", tt.target, tt.body, got.Level, tt.wantLevel)
			}
			if tt.wantCode != http.StatusOK && !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("PUT %s %q: error %q does not contain %q", tt.target, tt.body, got.Error, tt.wantError)
			}

			res := serve(t, h, http.MethodGet, "/loglevel", "", "")
			var after struct {
				Level string `json:"level"`
			}
			if err := json.Unmarshal([]byte(res.body), &after); err != nil || res.code != http.StatusOK {
				t.Fatalf("GET /loglevel: %d %q: %v", res.code, res.body, err)
			}
			if after.Level != tt.wantLevel {
				t.Errorf("GET /loglevel after PUT %s %q: level = %q, want %q", tt.target, tt.body, after.Level, tt.wantLevel)
			}
		})
	}
}
