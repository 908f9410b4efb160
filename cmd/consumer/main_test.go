package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the tests, or — in a child started by startChild — the
// command itself with the child's arguments.
func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, exitOK, "consumer dev", ""},
		{"config prints yaml", []string{"config", "--group-id", "g1"}, exitOK, "group_id: g1", ""},
		{"bad config lists every problem", []string{"config", "--log-format", "xml", "--shutdown-timeout", "0s"}, exitUsage, "",
			"invalid configuration:\nlog.format \"xml\": must be json or console\nshutdown.timeout must be > 0, got 0s"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, "KAFKA_BROKERS", ""},
		{"dlq without subcommand", []string{"dlq"}, exitUsage, "", "usage: consumer dlq replay"},
		{"dlq replay needs real brokers", []string{"dlq", "replay", "--topic", "orders.dlq", "--brokers", ""}, exitUsage, "", "needs real brokers"},
		{"dlq replay needs a topic", []string{"dlq", "replay", "--brokers", "127.0.0.1:1"}, exitUsage, "", "needs --topic"},
		{"dlq replay rejects bad flags", []string{"dlq", "replay", "--limit", "many"}, exitUsage, "", "invalid configuration"},
		// An unreadable certificate is bad configuration (exit 2), found
		// before any connection, not a failure at start (exit 1).
		{"unreadable TLS CA file", []string{"run", "--tls", "--tls-ca-file", "/nonexistent/ca.pem"}, exitUsage, "",
			"kafka.tls.ca_file: open /nonexistent/ca.pem: no such file or directory"},
		{"LOG_LEVEL fatal would silence errors", []string{"run", "--log-level", "fatal"}, exitUsage, "", "log.level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			if code != tt.code || !strings.Contains(out.String(), tt.stdout) || !strings.Contains(errOut.String(), tt.stderr) {
				t.Fatalf("code %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
		})
	}
}

func TestConfigPrintsNoSecrets(t *testing.T) {
	t.Setenv("ADMIN_TOKEN", "very-secret")
	var out, errOut bytes.Buffer
	if code := run([]string{"config"}, &out, &errOut); code != exitOK {
		t.Fatalf("code %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "very-secret") {
		t.Fatal("token printed")
	}
}
