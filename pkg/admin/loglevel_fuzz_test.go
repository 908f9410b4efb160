package admin_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/logging"
)

// FuzzPutLogLevel: PUT /loglevel on the debug listener with any body, any
// Content-Type and any query, from any level. The answer is 200, 400 or
// 413 (a body over 4 KiB), never another: no 5xx, no panic. 200 and 400
// answer one JSON object, {"level":...} or {"error":...}. The level
// changes only on 200, to one of debug, info, warn, error, the one
// answered. A JSON request (any other Content-Type) that is not exactly
// one JSON value is refused; one that is one object naming a level that
// log.level accepts sets it.
func FuzzPutLogLevel(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	f.Add([]byte(`{"level":"warn"}`), "", "", uint8(1))
	f.Add([]byte(`{"level":"ERROR"}`), "application/json", "", uint8(0))
	f.Add([]byte(`{"level":"fatal"}`), "", "", uint8(1))
	f.Add([]byte(`{"level":"warn"}garbage`), "", "", uint8(1))
	f.Add([]byte(`{"level":"debug","LEVEL":"warn"}`), "application/json; charset=utf-8", "", uint8(2))
	f.Add([]byte(`[]`), "", "", uint8(3))
	f.Add([]byte("level=warn"), form, "", uint8(1))
	f.Add([]byte(""), form, "level=debug", uint8(1))
	f.Add([]byte("level=fatal"), form, "level=debug", uint8(1))
	f.Add([]byte("level=%zz"), form, "", uint8(1))
	f.Add([]byte(""), form, "level=%zz;x", uint8(1))
	f.Add(bytes.Repeat([]byte(" "), 4097), "", "", uint8(1))
	f.Add([]byte(`{"level":"`+strings.Repeat("x", 4080)+`"}`), "", "", uint8(1))

	levels := []zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel}
	level := zap.NewAtomicLevel()
	h := newServer(admin.DefaultConfig(), level, &fakeChecker{}).DebugHandler()
	f.Fuzz(func(t *testing.T, body []byte, contentType, query string, start uint8) {
		before := levels[int(start)%len(levels)]
		level.SetLevel(before)
		req := httptest.NewRequest(http.MethodPut, "/loglevel", bytes.NewReader(body))
		req.URL.RawQuery = query
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		after := level.Level()

		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest:
		case http.StatusRequestEntityTooLarge:
			if len(body) <= 4<<10 {
				t.Fatalf("413 for a body of %d bytes", len(body))
			}
		default:
			t.Fatalf("PUT /loglevel (%q, Content-Type %q, query %q): status %d %q; want 200, 400 or 413", body, contentType, query, rec.Code, rec.Body)
		}
		if len(body) > 4<<10 && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("a body of %d bytes: status %d, want 413", len(body), rec.Code)
		}
		if rec.Code != http.StatusOK {
			if after != before {
				t.Fatalf("status %d changed the level from %s to %s", rec.Code, before, after)
			}
		} else if !slices.Contains(levels, after) {
			t.Fatalf("status 200 set the level %s", after)
		}
		if rec.Code == http.StatusRequestEntityTooLarge {
			return
		}
		var answer struct {
			Level *string `json:"level"`
			Error *string `json:"error"`
		}
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&answer); err != nil || dec.More() || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("status %d answered %q (%s, Content-Type %q); want one JSON object", rec.Code, rec.Body, err, rec.Header().Get("Content-Type"))
		}
		switch {
		case rec.Code == http.StatusOK && (answer.Level == nil || *answer.Level != after.String() || answer.Error != nil):
			t.Fatalf("200 answered %+v; want the level %s alone", answer, after)
		case rec.Code == http.StatusBadRequest && (answer.Error == nil || *answer.Error == "" || answer.Level != nil):
			t.Fatalf("400 answered %+v; want an error alone", answer)
		}

		// JSON requests, against what encoding/json and log.level say.
		if contentType == form {
			return
		}
		if !json.Valid(body) {
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("body %q is no JSON value: status %d, want 400", body, rec.Code)
			}
			return
		}
		var asked struct {
			Level string `json:"level"`
		}
		if err := json.Unmarshal(body, &asked); err != nil {
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("body %q is no JSON object with a string level (%v): status %d, want 400", body, err, rec.Code)
			}
			return
		}
		want, err := logging.ParseLevel(asked.Level)
		if err == nil && (rec.Code != http.StatusOK || after != want) {
			t.Fatalf("body %q asks for %s: status %d, level %s", body, want, rec.Code, after)
		}
		if err != nil && rec.Code != http.StatusBadRequest {
			t.Fatalf("body %q asks for %q, which log.level refuses: status %d", body, asked.Level, rec.Code)
		}
	})
}
