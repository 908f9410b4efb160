package admin_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// fetch sends one request over TCP without keep-alive and returns the
// status and body; a transport error fails the test.
func fetch(t *testing.T, ctx context.Context, method, url, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return res.StatusCode, string(body)
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// released fails the test when something still listens on addr.
func released(t *testing.T, what, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("%s port %s still held: %v", what, addr, err)
	}
	ln.Close()
}

// TestTheTwoListenersServeTheirOwnRoutes: through the started server, the
// admin listener serves probes and metrics and answers /debug/pprof/ with
// 404; the debug listener serves pprof only with the token, and nothing
// of the admin listener's. Both are logged with their bound addresses, and
// both ports are free again after Stop.
func TestTheTwoListenersServeTheirOwnRoutes(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := admin.New(admin.Config{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0", Token: "tok"}, admin.NewRegistry(),
		zap.NewAtomicLevel(), &fakeChecker{}, zap.New(core))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
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
	adminBase, debugBase := "http://"+s.Addr(), "http://"+s.DebugAddr()
	if s.Addr() == s.DebugAddr() || strings.HasSuffix(s.DebugAddr(), ":0") || s.DebugAddr() == "" {
		t.Fatalf("Addr %q, DebugAddr %q: want two bound addresses", s.Addr(), s.DebugAddr())
	}
	for _, tt := range []struct {
		url, authorization string
		want               int
	}{
		{adminBase + "/healthz", "", http.StatusOK},
		{adminBase + "/metrics", "", http.StatusOK},
		{adminBase + "/loglevel", "", http.StatusOK},
		{adminBase + "/debug/pprof/", "", http.StatusNotFound},
		{adminBase + "/debug/pprof/", "Bearer tok", http.StatusNotFound},
		{adminBase + "/debug/pprof/cmdline", "Bearer tok", http.StatusNotFound},
		{debugBase + "/debug/pprof/", "", http.StatusUnauthorized},
		{debugBase + "/debug/pprof/", "Bearer wrong", http.StatusUnauthorized},
		{debugBase + "/debug/pprof/", "Bearer tok", http.StatusOK},
		{debugBase + "/debug/pprof/cmdline", "Bearer tok", http.StatusOK},
		{debugBase + "/loglevel", "Bearer tok", http.StatusOK},
		{debugBase + "/healthz", "Bearer tok", http.StatusNotFound},
		{debugBase + "/metrics", "Bearer tok", http.StatusNotFound},
	} {
		if code, body := fetch(t, ctx, http.MethodGet, tt.url, tt.authorization); code != tt.want {
			t.Errorf("GET %s (Authorization %q): %d, want %d (body %.200q)", tt.url, tt.authorization, code, tt.want, body)
		}
	}
	for msg, addr := range map[string]string{"admin listening": s.Addr(), "debug listening": s.DebugAddr()} {
		entries := logs.FilterMessage(msg).All()
		if len(entries) != 1 || entries[0].ContextMap()["addr"] != addr {
			t.Errorf("log %q: %v, want one line with addr %s", msg, entries, addr)
		}
	}
	if entries := logs.FilterMessage("debug listening").All(); len(entries) == 1 && entries[0].ContextMap()["token"] != true {
		t.Errorf("debug listening: token = %v, want true", entries[0].ContextMap()["token"])
	}
	stopped = true
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	released(t, "admin", s.Addr())
	released(t, "debug", s.DebugAddr())
}

// TestDebugListenerOffWhenItsAddressIsEmpty: an empty debug address binds
// only the admin listener, and says so.
func TestDebugListenerOffWhenItsAddressIsEmpty(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := admin.New(admin.Config{Addr: "127.0.0.1:0"}, admin.NewRegistry(), zap.NewAtomicLevel(), &fakeChecker{}, zap.New(core))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if s.Addr() == "" || s.DebugAddr() != "" {
		t.Errorf("Addr %q, DebugAddr %q: want the admin listener only", s.Addr(), s.DebugAddr())
	}
	if logs.FilterMessage("debug listening").Len() != 0 || logs.FilterMessage("debug listener off (admin.debug_addr is empty)").Len() != 1 {
		t.Errorf("logs %v: want the debug listener reported off", logs.All())
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// TestStartFailsNamingTheListenerWhosePortIsTaken: whichever listener's
// port is in use, Start fails naming that listener, its setting and its
// address, and leaves the other listener's port free.
func TestStartFailsNamingTheListenerWhosePortIsTaken(t *testing.T) {
	for _, taken := range []string{"admin", "debug"} {
		t.Run(taken, func(t *testing.T) {
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			cfg := admin.Config{Addr: busy.Addr().String(), DebugAddr: freeAddr(t)}
			want, other := "admin listener (admin.addr) "+cfg.Addr, cfg.DebugAddr
			if taken == "debug" {
				cfg.Addr, cfg.DebugAddr = freeAddr(t), busy.Addr().String()
				want, other = "debug listener (admin.debug_addr) "+cfg.DebugAddr, cfg.Addr
			}
			s := newServer(cfg, zap.NewAtomicLevel(), &fakeChecker{})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
			defer cancel()
			err = s.Start(ctx)
			if err == nil {
				_ = s.Stop(ctx)
				t.Fatal("Start with a port in use: nil error")
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Start: %v, want it to name %q", err, want)
			}
			if s.Addr() != "" || s.DebugAddr() != "" {
				t.Errorf("after a failed Start: Addr %q, DebugAddr %q, want both empty", s.Addr(), s.DebugAddr())
			}
			released(t, "the other listener's", other)
			if err := s.Stop(ctx); err != nil {
				t.Errorf("Stop after a failed Start: %v", err)
			}
		})
	}
}

// TestStartRefusesAnUnguardedDebugListenerBeyondLoopback: the server
// checks for itself what Config.Validate checks, counting only the token
// it holds (a token file config.Load did not read guards nothing): it
// binds nothing and fails. With the explicit allow it starts and warns.
func TestStartRefusesAnUnguardedDebugListenerBeyondLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	for name, cfg := range map[string]admin.Config{
		"no token":                 {DebugAddr: "0.0.0.0:0"},
		"a token file, never read": {DebugAddr: "0.0.0.0:0", TokenFile: "/run/secrets/admin-token"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Addr = freeAddr(t)
			s := newServer(cfg, zap.NewAtomicLevel(), &fakeChecker{})
			err := s.Start(ctx)
			if err == nil {
				_ = s.Stop(ctx)
				t.Fatal("Start: nil error, want the refusal")
			}
			if !strings.Contains(err.Error(), "refused without a token") {
				t.Errorf("Start: %v, want the refusal", err)
			}
			released(t, "admin", cfg.Addr)
			if err := s.Stop(ctx); err != nil {
				t.Errorf("Stop: %v", err)
			}
		})
	}
	t.Run("allowed", func(t *testing.T) {
		core, logs := observer.New(zap.InfoLevel)
		s := admin.New(admin.Config{Addr: "127.0.0.1:0", DebugAddr: "0.0.0.0:0", DebugAllowUnauthenticated: true},
			admin.NewRegistry(), zap.NewAtomicLevel(), &fakeChecker{}, zap.New(core))
		if err := s.Start(ctx); err != nil {
			t.Fatalf("Start: %v", err)
		}
		defer func() {
			if err := s.Stop(ctx); err != nil {
				t.Errorf("Stop: %v", err)
			}
		}()
		_, port, _ := net.SplitHostPort(s.DebugAddr())
		if code, _ := fetch(t, ctx, http.MethodGet, "http://127.0.0.1:"+port+"/debug/pprof/", ""); code != http.StatusOK {
			t.Errorf("GET /debug/pprof/ on the allowed listener: %d, want 200", code)
		}
		if logs.FilterMessage("debug listener reachable beyond loopback without a token, as admin.debug_allow_unauthenticated allows").Len() != 1 {
			t.Errorf("no warning logged: %v", logs.All())
		}
	})
}

// TestStopEndsARunningProfileWhenItsContextEnds: a CPU profile streamed
// from the debug listener holds a graceful shutdown; when Stop's context
// ends first, Stop closes the connection (the client sees its response cut
// off) and reports the debug listener, so nothing outlives it.
func TestStopEndsARunningProfileWhenItsContextEnds(t *testing.T) {
	s := newServer(admin.Config{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0"}, zap.NewAtomicLevel(), &fakeChecker{})
	guard, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	if err := s.Start(guard); err != nil {
		t.Fatalf("Start: %v", err)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(guard, http.MethodGet, "http://"+s.DebugAddr()+"/debug/pprof/profile?seconds=600", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		done <- err
	}()
	consumertest.Eventually(t, "the profile to be running", func() bool {
		_, body := fetch(t, guard, http.MethodGet, "http://"+s.DebugAddr()+"/debug/pprof/goroutine?debug=2", "")
		return strings.Contains(body, "net/http/pprof.Profile")
	})
	ctx, stop := context.WithTimeout(guard, 200*time.Millisecond)
	defer stop()
	err = s.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "debug listener") {
		t.Errorf("Stop: %v, want the debug listener's shutdown cut off by the context", err)
	}
	select {
	case <-done: // the profile's response ended, cut off or empty
	case <-guard.Done():
		t.Fatal("the profile is still being served after Stop returned")
	}
}
