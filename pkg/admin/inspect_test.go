package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

type inspectable struct{ state any }

func (inspectable) Live() error    { return nil }
func (inspectable) Ready() error   { return nil }
func (i inspectable) Inspect() any { return i.state }

type plainChecker struct{}

func (plainChecker) Live() error  { return nil }
func (plainChecker) Ready() error { return nil }

func get(t *testing.T, h http.Handler, path string, header map[string]string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Header().Get("Content-Type"), string(body)
}

// TestDebugConsumerServesStateAsJSONAndHTML: the consumer's state is served
// as JSON, and as an HTML page that escapes what it shows; a checker with
// nothing to inspect gives 404; the token guards it.
func TestDebugConsumerServesStateAsJSONAndHTML(t *testing.T) {
	state := map[string]any{"group": "g1", "live": "ok", "stopping": false,
		"partitions": []map[string]any{{"topic": "<script>alert(1)</script>", "partition": 3, "stalled": true, "zombies": 0,
			"oldest_in_flight_age_seconds": 1.5, "held_seconds": 2.0, "running_calls": []map[string]any{{"worker": 0, "offset": 42, "running_seconds": 1.0, "zombie": true}}},
			{"topic": "orders", "partition": 1, "stalled": false, "zombies": 0, "oldest_in_flight_age_seconds": 9.0, "held_seconds": 9.0,
				"blocked": map[string]any{"reason": "dead_letter_rejected", "offset": 7, "error": "Message Size Too Large"}}},
		"blocked": "orders/1 blocked at offset 7"}
	s := admin.New(admin.Config{Addr: "127.0.0.1:0", Token: "tok"}, admin.NewRegistry(), zap.NewAtomicLevel(), inspectable{state}, zap.NewNop())
	auth := map[string]string{"Authorization": "Bearer tok"}

	if code, _, _ := get(t, s.DebugHandler(), "/debug/consumer", nil); code != http.StatusUnauthorized {
		t.Fatalf("without the token: %d", code)
	}
	code, ctype, body := get(t, s.DebugHandler(), "/debug/consumer", auth)
	var got map[string]any
	if code != http.StatusOK || ctype != "application/json" || json.Unmarshal([]byte(body), &got) != nil || got["group"] != "g1" {
		t.Fatalf("JSON: %d %s %s", code, ctype, body)
	}
	code, ctype, body = get(t, s.DebugHandler(), "/debug/consumer?format=html", auth)
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "ZOMBIE") || !strings.Contains(body, `class="bad"`) {
		t.Fatalf("HTML: %d %s %s", code, ctype, body)
	}
	if !strings.Contains(body, "dead_letter_rejected at 7: Message Size Too Large") || !strings.Contains(body, "blocked (liveness stays green") {
		t.Fatalf("HTML does not show the blocked partition: %s", body)
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatal("the page must escape what it shows")
	}
	plain := admin.New(admin.Config{Addr: "127.0.0.1:0"}, admin.NewRegistry(), zap.NewAtomicLevel(), plainChecker{}, zap.NewNop())
	if code, _, _ := get(t, plain.DebugHandler(), "/debug/consumer", nil); code != http.StatusNotFound {
		t.Fatalf("a checker with nothing to inspect: %d", code)
	}
}
