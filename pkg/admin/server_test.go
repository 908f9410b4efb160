package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/admin"
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
