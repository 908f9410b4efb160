package admin_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

const (
	// bodyLimit is the README's bound on an admin request body.
	bodyLimit = 4 << 10
	// hugeBody is the size of the body that once made PUT /loglevel
	// allocate ~3.5 GiB.
	hugeBody = 256 << 20
	// allocBound is far above what one refused request allocates and far
	// below what reading hugeBody would.
	allocBound = 32 << 20
)

// lazyBody yields size bytes, prefix first and then 'a's, without holding
// them, and counts how many bytes were taken from it. A JSON prefix makes
// the whole body one ever-growing string, so a reader without a bound must
// keep all of it.
type lazyBody struct {
	prefix string
	size   int64
	read   atomic.Int64
}

func (b *lazyBody) Read(p []byte) (int, error) {
	off := b.read.Load()
	if off >= b.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), b.size-off))
	for i := range n {
		if at := off + int64(i); at < int64(len(b.prefix)) {
			p[i] = b.prefix[at]
		} else {
			p[i] = 'a'
		}
	}
	b.read.Add(int64(n))
	return n, nil
}

// totalAlloc returns the bytes allocated so far by the whole process.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestHugeBodyRefusedAfterReadingAtMostTheLimit: a 256 MiB body is refused
// with 413 on every route, whether the route reads bodies or not and
// whether its length is declared or not, after at most bodyLimit+1 of its
// bytes were read; the request allocates far less than the body's size and
// PUT /loglevel leaves the level alone. Both listeners' routes are tried,
// the debug listener's with a token configured and none sent: the limit
// comes before the token check.
func TestHugeBodyRefusedAfterReadingAtMostTheLimit(t *testing.T) {
	tests := []struct {
		method, path, contentType string
		onAdmin                   bool
	}{
		{method: http.MethodPut, path: "/loglevel", contentType: "application/json"},
		{method: http.MethodPut, path: "/loglevel", contentType: "application/x-www-form-urlencoded"},
		{method: http.MethodPost, path: "/debug/pprof/symbol"},
		{method: http.MethodGet, path: "/debug/consumer"},
		{method: http.MethodGet, path: "/no/such/route"},
		{method: http.MethodGet, path: "/healthz", onAdmin: true},
		{method: http.MethodGet, path: "/metrics", onAdmin: true},
		{method: http.MethodPut, path: "/loglevel", contentType: "application/json", onAdmin: true},
		{method: http.MethodGet, path: "/no/such/route", onAdmin: true},
	}
	for _, tt := range tests {
		for _, declared := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s %s %s admin listener %v declared length %v", tt.method, tt.path, tt.contentType, tt.onAdmin, declared), func(t *testing.T) {
				level := zap.NewAtomicLevelAt(zapcore.InfoLevel)
				cfg := admin.DefaultConfig()
				cfg.Token = "tok"
				s := newServer(cfg, level, inspectable{map[string]any{"group": "g"}})
				h := s.DebugHandler()
				if tt.onAdmin {
					h = s.Handler()
				}
				body := &lazyBody{prefix: `{"level":"debug","x":"`, size: hugeBody}
				req := httptest.NewRequest(tt.method, tt.path, body)
				req.ContentLength = -1 // chunked
				if declared {
					req.ContentLength = hugeBody
				}
				if tt.contentType != "" {
					req.Header.Set("Content-Type", tt.contentType)
				}
				rec := httptest.NewRecorder()

				before := totalAlloc()
				h.ServeHTTP(rec, req)
				allocated := totalAlloc() - before

				if rec.Code != http.StatusRequestEntityTooLarge {
					t.Errorf("status = %d, want 413 (body %.200q)", rec.Code, rec.Body.String())
				}
				if !strings.Contains(rec.Body.String(), "4096 bytes") {
					t.Errorf("answer %q does not name the limit", rec.Body.String())
				}
				if got := body.read.Load(); got > bodyLimit+1 {
					t.Errorf("read %d bytes of the body, want at most the limit %d + 1", got, bodyLimit)
				}
				if allocated > allocBound {
					t.Errorf("the request allocated %d bytes, want under %d", allocated, allocBound)
				}
				if got := level.Level(); got != zapcore.InfoLevel {
					t.Errorf("level = %v after a refused body, want info", got)
				}
			})
		}
	}
}

// TestBodyLimitIsExactly4KiB: a body of exactly the limit is taken whole,
// one byte more is refused.
func TestBodyLimitIsExactly4KiB(t *testing.T) {
	const value = `{"level":"warn"}`
	for _, tt := range []struct {
		size     int
		wantCode int
	}{
		{size: bodyLimit, wantCode: http.StatusOK},
		{size: bodyLimit + 1, wantCode: http.StatusRequestEntityTooLarge},
	} {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			h := newServer(admin.DefaultConfig(), zap.NewAtomicLevelAt(zapcore.InfoLevel), &fakeChecker{}).DebugHandler()
			// JSON allows trailing white space, so the padding is valid.
			res := serve(t, h, http.MethodPut, "/loglevel", "", value+strings.Repeat(" ", tt.size-len(value)))
			if res.code != tt.wantCode {
				t.Errorf("PUT /loglevel with %d bytes: status = %d, want %d (body %q)", tt.size, res.code, tt.wantCode, res.body)
			}
		})
	}
}

// TestHugeBodyRefusedOverTCP: through the started server, a client that
// sends 256 MiB gets 413 while the server has consumed only what socket
// buffers hold beyond the limit, and then closes the connection instead of
// draining it, which fails the client's writes.
func TestHugeBodyRefusedOverTCP(t *testing.T) {
	// transportSlack covers what the kernel holds between the two ends: the
	// client's send buffer, fixed small below so no host's autotuning can
	// grow it, the server's receive buffer, which stays near tcp_rmem's
	// initial 128 KiB once the server stops reading, and the copy buffers.
	const transportSlack = 8 << 20
	s := newServer(admin.Config{Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0"}, zap.NewAtomicLevelAt(zapcore.InfoLevel), &fakeChecker{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() {
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()

	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked %v", chunked), func(t *testing.T) {
			conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.DebugAddr())
			if err != nil {
				t.Fatalf("dial %s: %v", s.DebugAddr(), err)
			}
			defer conn.Close()
			if err := conn.(*net.TCPConn).SetWriteBuffer(64 << 10); err != nil {
				t.Fatalf("fix the send buffer: %v", err)
			}
			if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil { // hang guard
				t.Fatal(err)
			}
			framing := fmt.Sprintf("Content-Length: %d", hugeBody)
			if chunked {
				framing = "Transfer-Encoding: chunked"
			}
			if _, err := fmt.Fprintf(conn, "PUT /loglevel HTTP/1.1\r\nHost: admin\r\nContent-Type: application/json\r\n%s\r\n\r\n", framing); err != nil {
				t.Fatalf("write request head: %v", err)
			}

			body := &lazyBody{prefix: `{"level":"debug","x":"`, size: hugeBody}
			before := totalAlloc()
			sent := make(chan error, 1)
			go func() {
				var w io.Writer = conn
				if chunked {
					w = httputil.NewChunkedWriter(conn)
				}
				_, err := io.Copy(w, body)
				sent <- err
			}()
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("read response: %v", err)
			}
			answer, _ := io.ReadAll(res.Body)
			res.Body.Close()
			// The server closes the connection, which fails the writer; the
			// connection's deadline ends it otherwise.
			writeErr := <-sent
			allocated := totalAlloc() - before

			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d, want 413 (body %.200q)", res.StatusCode, answer)
			}
			if writeErr == nil || errors.Is(writeErr, os.ErrDeadlineExceeded) {
				t.Errorf("sending the body ended with %v, want the server to close the connection", writeErr)
			}
			read := body.read.Load()
			t.Logf("the client got %d bytes into the connection before it failed", read)
			if read > bodyLimit+1+transportSlack {
				t.Errorf("%d bytes of the body were consumed, want at most the limit %d + 1 + %d of socket buffers", read, bodyLimit, transportSlack)
			}
			if allocated > allocBound {
				t.Errorf("client and server allocated %d bytes, want under %d", allocated, allocBound)
			}
		})
	}
}
