//go:build e2e && secured

package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/kafka/conn/conntest"
)

// failFastBound is how long a refused connection may take to end the
// process: the issue's 15s. A case that takes longer fails as hung.
const failFastBound = 15 * time.Second

// requireSecured fails unless the environment points at a broker that
// requires TLS and SASL: `KAFKA_SECURITY=sasl_ssl make kafka-up` and
// `make test-secure`.
func requireSecured(t *testing.T) env {
	t.Helper()
	e := requireEnv(t)
	tlsCfg, sasl, err := conntest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if !tlsCfg.Enabled || tlsCfg.CAFile == "" || sasl.Mechanism == "" || sasl.PasswordFile == "" {
		t.Fatal("not a secured broker's settings (KAFKA_TLS_ENABLED, KAFKA_TLS_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_PASSWORD_FILE): " +
			"start one with `KAFKA_SECURITY=sasl_ssl make kafka-up` and run `make test-secure`")
	}
	return e
}

// environ is the process's environment with set applied: a value
// replaces the variable, "" removes it.
func environ(set map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// runUntilExit runs bin with args and env and waits for it to exit, at
// most failFastBound: its exit code, its output, and how long it took.
func runUntilExit(t *testing.T, bin string, env []string, args ...string) (int, string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failFastBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	logs := &consumertest.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("consumer %s still running after %s (killed): it must stop on a refused connection\n%s", strings.Join(args, " "), failFastBound, logs)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, logs.String(), took
	case errors.As(err, &exit):
		return exit.ExitCode(), logs.String(), took
	}
	t.Fatalf("run consumer: %v", err)
	return 0, "", 0
}

// expiredBroker is an in-process broker (kfake) whose TLS certificate,
// for 127.0.0.1, is signed by a CA of the test and expired a day ago:
// the one certificate failure a real broker cannot be made to show
// without a second broker. It returns the broker's address and the CA's
// file.
func expiredBroker(t *testing.T) (addr, caFile string) {
	t.Helper()
	ca := conntest.NewCA(t, "e2e expired CA")
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{ca.Issue(conntest.Expired())}, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0], ca.File
}

// TestSecuredRefusalsStopTheConsumerNamingTheCause: against the secured
// broker, each bad credential or certificate and a plain-text client make
// `consumer run` exit 1 at start, well within 15s, with a one-line reason
// that names the cause, instead of retrying to join forever; `consumer dlq
// replay` names it too. The expired certificate is an in-process
// broker's (see expiredBroker); the wrong name reaches the real broker
// through 127.0.0.2, which its certificate does not name.
func TestSecuredRefusalsStopTheConsumerNamingTheCause(t *testing.T) {
	e := requireSecured(t)
	_, sasl, err := conntest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	wrong := filepath.Join(t.TempDir(), "wrong-password")
	writePrivate(t, wrong, "not-the-password\n")
	expiredAddr, expiredCA := expiredBroker(t)
	for _, tt := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"wrong password", map[string]string{"KAFKA_SASL_PASSWORD_FILE": wrong},
			"SASL " + sasl.Mechanism + " authentication failed: the broker refused the credentials (check kafka.sasl.username and kafka.sasl.password)"},
		{"unknown CA", map[string]string{"KAFKA_TLS_CA_FILE": conntest.NewCA(t, "e2e unknown CA").File},
			"the broker's TLS certificate is signed by an authority this client does not trust (check kafka.tls.ca_file)"},
		{"expired certificate", map[string]string{"KAFKA_BROKERS": expiredAddr, "KAFKA_TLS_CA_FILE": expiredCA},
			"the broker's TLS certificate has expired or is not yet valid"},
		{"wrong server name", map[string]string{"KAFKA_BROKERS": consumertest.Forward(t, "127.0.0.2:0", e.brokers)},
			"the broker's TLS certificate is not valid for the address dialled"},
		{"plain text to the TLS listener", map[string]string{"KAFKA_TLS_ENABLED": "false", "KAFKA_TLS_CA_FILE": ""},
			"the broker's listener speaks TLS, but kafka.tls.enabled is false"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{"KAFKA_BROKERS": e.brokers}
			for k, v := range tt.set {
				set[k] = v
			}
			env := environ(set)
			code, out, took := runUntilExit(t, bin, env, "run", "--admin-addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0")
			if code != 1 || !strings.Contains(out, "consumer: start consumer: broker ") || !strings.Contains(out, "connection rejected: "+tt.want) {
				t.Fatalf("consumer run: exit %d, want 1 with %q:\n%s", code, tt.want, out)
			}
			t.Logf("consumer run exited 1 after %s: %s", took.Round(time.Millisecond), lastLine(out))

			code, out, took = runUntilExit(t, bin, env, "dlq", "replay", "--topic", "orders.dlq", "--dry-run")
			if code == 0 || !strings.Contains(out, "consumer: dlq replay: broker ") || !strings.Contains(out, "connection rejected: "+tt.want) {
				t.Fatalf("dlq replay: exit %d, want a failure with %q:\n%s", code, tt.want, out)
			}
			t.Logf("dlq replay exited %d after %s", code, took.Round(time.Millisecond))
		})
	}
}

// TestSecuredConfigPrintsNoSecret: `consumer config` with the secured
// broker's client settings prints where the password is, never the
// password; given directly in KAFKA_SASL_PASSWORD, it is redacted.
func TestSecuredConfigPrintsNoSecret(t *testing.T) {
	requireSecured(t)
	bin := buildBinary(t)
	_, sasl, err := conntest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"password file", nil, "password_file: " + sasl.PasswordFile},
		{"password given", map[string]string{"KAFKA_SASL_PASSWORD_FILE": "", "KAFKA_SASL_PASSWORD": sasl.Password}, "password: REDACTED"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := runUntilExit(t, bin, environ(tt.set), "config")
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("consumer config: exit %d, want 0 and %q:\n%s", code, tt.want, out)
			}
			if strings.Contains(out, sasl.Password) {
				t.Fatalf("consumer config printed the SASL password (shown here as <password>):\n%s", strings.ReplaceAll(out, sasl.Password, "<password>"))
			}
		})
	}
}

// lastLine is out's last non-empty line: the reason the binary printed.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}
