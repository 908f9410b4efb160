package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestRunServesTheDebugListenerWithTheToken (issue 13): `consumer run`
// with the debug listener on every interface starts when the token comes
// from ADMIN_TOKEN_FILE (a file ending in a newline, as `echo` writes
// one); the debug listener answers 401 without the token and serves pprof
// with it, the command line it shows holds no secret, the admin listener
// answers /debug/pprof/ with 404, and SIGTERM still ends it with exit 0.
func TestRunServesTheDebugListenerWithTheToken(t *testing.T) {
	const token = "t0ken-from-a-file"
	file := filepath.Join(t.TempDir(), "admin-token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, adminBase := readyChildWithEnv(t, []string{"DEBUG_ADDR=:0", "ADMIN_TOKEN_FILE=" + file})
	line := c.waitLog(`"debug listening"`, msg("debug listening"))
	if line["token"] != true {
		t.Errorf(`"debug listening" says token %v, want true`, line["token"])
	}
	_, port, err := net.SplitHostPort(c.debugAddr())
	if err != nil {
		t.Fatal(err)
	}
	debugBase := "http://127.0.0.1:" + port
	for _, tt := range []struct {
		url, authorization string
		want               int
	}{
		{debugBase + "/debug/pprof/", "", http.StatusUnauthorized},
		{debugBase + "/debug/pprof/", "Bearer wrong", http.StatusUnauthorized},
		{debugBase + "/debug/pprof/", "Bearer " + token, http.StatusOK},
		{debugBase + "/debug/consumer", "Bearer " + token, http.StatusOK},
		{adminBase + "/debug/pprof/", "Bearer " + token, http.StatusNotFound},
		{adminBase + "/metrics", "", http.StatusOK},
	} {
		if code, body := request(t, tt.url, tt.authorization); code != tt.want {
			t.Errorf("GET %s (Authorization %q): %d, want %d (%.200q)", tt.url, tt.authorization, code, tt.want, body)
		}
	}
	if code, cmdline := request(t, debugBase+"/debug/pprof/cmdline", "Bearer "+token); code != http.StatusOK || strings.Contains(cmdline, token) {
		t.Errorf("/debug/pprof/cmdline: %d %q, want 200 without the token", code, cmdline)
	}
	c.signal(syscall.SIGTERM)
	if state := c.wait(consumertest.Patience); state.ExitCode() != exitOK {
		t.Fatalf("exit %v after SIGTERM\nstderr: %s", state, c.stderr.String())
	}
}

// request sends GET url with the Authorization header, when given, and
// returns the status and the body; a transport error fails the test.
func request(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// TestHelpOffersNoSecretFlags: the usage names the secrets' environment
// variables and files and offers no flag for them.
func TestHelpOffersNoSecretFlags(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"help"}, &out, &errOut); code != exitOK {
		t.Fatalf("help: %d %s", code, errOut.String())
	}
	for _, refused := range []string{"  -sasl-password value", "  -sasl-password\n", "  -admin-token value", "  -admin-token\n"} {
		if strings.Contains(out.String(), refused) {
			t.Errorf("help offers %q:\n%s", strings.TrimSpace(refused), out.String())
		}
	}
	for _, want := range []string{"KAFKA_SASL_PASSWORD_FILE", "ADMIN_TOKEN_FILE", "--sasl-password and --admin-token are refused",
		"-debug-addr", "-debug-allow-unauthenticated", "-sasl-password-file", "-admin-token-file"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
