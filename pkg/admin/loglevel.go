package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/logging"
)

// putLogLevel replaces zap.AtomicLevel's own PUT handler, which accepts
// dpanic, panic and fatal: any of those silences every error log. It takes
// the requests zap's handler takes and answers as it does: a JSON body
// {"level":"warn"}, or, with Content-Type application/x-www-form-urlencoded,
// a form value level=warn in the body or else the query; the answer is
// {"level":"warn"}. The level is parsed by logging.ParseLevel, as the
// log.level setting is. A refused level or a malformed body (including
// anything after the JSON object, which zap's handler ignores) gets 400 with
// {"error":"..."}, naming the allowed levels when the level was the problem,
// and leaves the level as it was. The body's size is bounded by limitBody.
func putLogLevel(level zap.AtomicLevel) http.Handler {
	type levelBody struct {
		Level string `json:"level"`
	}
	type errorBody struct {
		Error string `json:"error"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		lvl, err := requestedLevel(r)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_ = enc.Encode(errorBody{Error: err.Error()}) // the client went away; nothing to do
			return
		}
		level.SetLevel(lvl)
		_ = enc.Encode(levelBody{Level: level.Level().String()}) // the client went away; nothing to do
	})
}

// requestedLevel finds the level where zap's handler looks for it. A missing
// level is parsed as "", so the refusal names the allowed levels instead of
// zap's "must specify logging level", and zap's reading of "" as info never
// applies.
func requestedLevel(r *http.Request) (zapcore.Level, error) {
	// zap compares the header exactly, so a charset parameter means JSON;
	// doing the same keeps every request zap accepted working.
	if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		// FormValue would drop a parse error and report a missing level.
		if err := r.ParseForm(); err != nil {
			return 0, fmt.Errorf("malformed form, want level=<level>: %w", err)
		}
		return logging.ParseLevel(r.FormValue("level"))
	}
	// The body is one JSON object and nothing else: zap's handler decodes
	// the first value and ignores what follows, so {"level":"warn"}garbage
	// would set warn.
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, fmt.Errorf("read request body: %w", err)
	}
	var body struct {
		Level string `json:"level"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return 0, fmt.Errorf(`malformed request body, want {"level":"<level>"}: %w`, err)
	}
	return logging.ParseLevel(body.Level)
}
