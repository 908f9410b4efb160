package consumertest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// TestScrapeReadsWhatTheRegistryHolds: /metrics served by promhttp, read
// back over HTTP by Scrape, gives the values the registry holds, label
// values with quotes, braces and spaces included.
func TestScrapeReadsWhatTheRegistryHolds(t *testing.T) {
	reg := testRegistry(t)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	r := &recorder{}
	g := Scrape(r, srv.URL)
	for _, labels := range []map[string]string{
		{"topic": "orders", "outcome": "success"},
		{"topic": `or"ders} 7`, "outcome": "success"},
		{"topic": "orders", "outcome": "dead_lettered"},
	} {
		if got, want := CounterValue(r, g, "test_messages_total", labels), CounterValue(r, reg, "test_messages_total", labels); got != want {
			t.Errorf("scraped %s = %v, registry holds %v", formatLabels(labels), got, want)
		}
	}
	if got := GaugeValue(r, g, "test_lag", map[string]string{"topic": "orders", "partition": "1"}); got != 7 {
		t.Errorf("scraped lag = %v, want 7", got)
	}
	if f := r.failures(); f != "" {
		t.Fatalf("scrape failed: %s", f)
	}
}

// TestParseReadsTheProtobufFormatToo: a response in delimited protobuf,
// as promhttp serves it to a client that asks for it, parses the same.
func TestParseReadsTheProtobufFormatToo(t *testing.T) {
	reg := testRegistry(t)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeProtoDelim)))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, req)
	resp := rec.Result()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "protobuf") {
		t.Fatalf("the handler answered %q; the test needs protobuf", ct)
	}
	r := &recorder{}
	g := Parse(r, resp)
	if got := CounterValue(r, g, "test_messages_total", map[string]string{"topic": "orders.retry", "outcome": "success"}); got != 10 || r.failures() != "" {
		t.Fatalf("parsed %v (failures %q), want 10", got, r.failures())
	}
}

// TestScrapeFailsOnAnythingButMetrics: an unreachable address, a status
// other than 200 and a body that does not parse each fail the test.
func TestScrapeFailsOnAnythingButMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/garbage" {
			_, _ = w.Write([]byte("this is { not metrics\n"))
			return
		}
		http.Error(w, "token required", http.StatusUnauthorized)
	}))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	defer srv.Close()
	for _, tt := range []struct{ url, want string }{
		{srv.URL + "/metrics", "metrics: status 401: token required"},
		{srv.URL + "/garbage", "metrics: parse: "},
		{closed.URL + "/metrics", "scrape " + closed.URL + "/metrics: "},
	} {
		r := &recorder{}
		g := Scrape(r, tt.url)
		if len(r.fatals) != 1 || !strings.HasPrefix(r.fatals[0], tt.want) {
			t.Errorf("scrape %s: failures %q, want one starting %q", tt.url, r.fatals, tt.want)
		}
		if _, err := g.Gather(); err == nil {
			t.Errorf("scrape %s: the gatherer of a failed scrape must say so", tt.url)
		}
	}
}

// TestScrapeLeavesNoConnectionOpen: the scrape closes its connection
// after the answer instead of keeping it alive for the next request, so
// no client goroutine of it outlives the call to trip a test's leak check
// while the server keeps running.
func TestScrapeLeavesNoConnectionOpen(t *testing.T) {
	var mu sync.Mutex
	var states []http.ConnState
	srv := httptest.NewUnstartedServer(promhttp.HandlerFor(testRegistry(t), promhttp.HandlerOpts{}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		states = append(states, s)
	}
	srv.Start()
	defer srv.Close()
	r := &recorder{}
	Scrape(r, srv.URL)
	if f := r.failures(); f != "" {
		t.Fatalf("scrape failed: %s", f)
	}
	settled := func() []http.ConnState {
		mu.Lock()
		defer mu.Unlock()
		return append([]http.ConnState(nil), states...)
	}
	Eventually(t, "the server to see the connection closed or idle", func() bool {
		s := settled()
		return len(s) > 0 && (s[len(s)-1] == http.StateClosed || s[len(s)-1] == http.StateIdle)
	})
	if s := settled(); slices.Contains(s, http.StateIdle) {
		t.Fatalf("connection states %v: the scrape kept its connection alive", s)
	}
}
