package config

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestSecretsAreReadFromFiles: KAFKA_SASL_PASSWORD_FILE and
// ADMIN_TOKEN_FILE (or the YAML's password_file and token_file, or the
// --*-file flags) set the secret to the file's content with the trailing
// newlines trimmed, and only those.
func TestSecretsAreReadFromFiles(t *testing.T) {
	files := map[string]string{
		"/run/secrets/kafka": "hunter2\n",
		"/run/secrets/admin": "t0 k\r\n\n",
		"/run/secrets/inner": "line1\nline2\n",
		"c.yaml": "kafka:\n  sasl:\n    mechanism: PLAIN\n    username: u\n    password_file: /run/secrets/inner\n" +
			"admin:\n  token_file: /run/secrets/admin\n",
	}
	tests := []struct {
		name            string
		args            []string
		env             map[string]string
		password, token string
	}{
		{name: "environment", env: map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u",
			"KAFKA_SASL_PASSWORD_FILE": "/run/secrets/kafka", "ADMIN_TOKEN_FILE": "/run/secrets/admin"},
			password: "hunter2", token: "t0 k"},
		{name: "file", args: []string{"--config", "c.yaml"}, password: "line1\nline2", token: "t0 k"},
		{name: "flags", args: []string{"--sasl-mechanism", "PLAIN", "--sasl-username", "u",
			"--sasl-password-file", "/run/secrets/kafka", "--admin-token-file", "/run/secrets/inner"},
			password: "hunter2", token: "line1\nline2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("run", source(tt.args, tt.env, files), nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Kafka.SASL.Password != tt.password || cfg.Admin.Token != tt.token {
				t.Fatalf("password %q, token %q; want %q, %q", cfg.Kafka.SASL.Password, cfg.Admin.Token, tt.password, tt.token)
			}
		})
	}
}

// TestBadSecretFilesAreListedWithEveryOtherProblem: a missing file, an
// empty one (newlines only count as empty), and a secret set both
// directly and by file are each a problem naming the setting, its
// environment variable and the path, listed together with the others,
// and never showing a secret.
func TestBadSecretFilesAreListedWithEveryOtherProblem(t *testing.T) {
	files := map[string]string{"/run/secrets/empty": "\n\n", "/run/secrets/admin": "t0ken\n"}
	for _, tt := range []struct {
		name string
		env  map[string]string
		file string
		want []string
	}{
		{name: "missing and empty", env: map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u",
			"KAFKA_SASL_PASSWORD_FILE": "/run/secrets/nope", "ADMIN_TOKEN_FILE": "/run/secrets/empty", "LOG_FORMAT": "xml"},
			want: []string{`kafka.sasl.password_file (KAFKA_SASL_PASSWORD_FILE) "/run/secrets/nope": file does not exist`,
				`admin.token_file (ADMIN_TOKEN_FILE) "/run/secrets/empty" is empty`, `log.format "xml"`}},
		// The debug listener is guarded by the token the file was meant
		// to hold: its refusal would only add noise to the real problem.
		{name: "missing token file guarding the debug listener", env: map[string]string{"ADMIN_TOKEN_FILE": "/run/secrets/nope", "DEBUG_ADDR": ":6060"},
			want: []string{`admin.token_file (ADMIN_TOKEN_FILE) "/run/secrets/nope": file does not exist`}},
		{name: "both in the environment", env: map[string]string{"ADMIN_TOKEN": "hunter2", "ADMIN_TOKEN_FILE": "/run/secrets/admin"},
			want: []string{`admin.token (ADMIN_TOKEN) and admin.token_file (ADMIN_TOKEN_FILE) "/run/secrets/admin" are both set: set one of them`}},
		{name: "one in the file, the other in the environment", file: "kafka:\n  sasl:\n    mechanism: PLAIN\n    username: u\n    password: hunter2\n",
			env:  map[string]string{"KAFKA_SASL_PASSWORD_FILE": "/run/secrets/admin"},
			want: []string{`kafka.sasl.password (KAFKA_SASL_PASSWORD) and kafka.sasl.password_file (KAFKA_SASL_PASSWORD_FILE) "/run/secrets/admin" are both set`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.file != "" {
				files["c.yaml"], args = tt.file, []string{"--config", "c.yaml"}
			}
			_, err := Load("run", source(args, tt.env, files), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("missing %q in:\n%v", want, err)
				}
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", lines, len(tt.want), err)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "t0ken") {
				t.Errorf("a secret is shown:\n%v", err)
			}
		})
	}
}

// TestSecretFlagsAreRefused: --sasl-password and --admin-token, in every
// form the flag package takes, are refused naming the environment
// variables to use instead, without echoing the value; the usage text
// offers neither, but offers the *_FILE flags.
func TestSecretFlagsAreRefused(t *testing.T) {
	const saslRefusal = "--sasl-password is refused: a flag is visible in the process list and in /debug/pprof/cmdline; set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE"
	const tokenRefusal = "--admin-token is refused: a flag is visible in the process list and in /debug/pprof/cmdline; set ADMIN_TOKEN or ADMIN_TOKEN_FILE"
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--sasl-password", "hunter2"}, []string{saslRefusal}},
		{[]string{"--sasl-password=hunter2"}, []string{saslRefusal}},
		{[]string{"-sasl-password", "hunter2"}, []string{saslRefusal}},
		{[]string{"--admin-token", "hunter2"}, []string{tokenRefusal}},
		{[]string{"-admin-token=hunter2", "--log-level", "debug"}, []string{tokenRefusal}},
		{[]string{"--sasl-password", "hunter2", "--admin-token", "hunter2"}, []string{saslRefusal, tokenRefusal}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := Load("run", source(tt.args, map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u"}, nil), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Error() != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%v\nwant\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
	var usage bytes.Buffer
	fs, err := FlagSet("consumer", &usage, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, refused := range []string{"sasl-password", "admin-token"} {
		if fs.Lookup(refused) != nil {
			t.Errorf("the usage offers --%s", refused)
		}
	}
	fs.PrintDefaults()
	for _, want := range []string{"-sasl-password-file", "(env KAFKA_SASL_PASSWORD_FILE)", "-admin-token-file", "(env ADMIN_TOKEN_FILE)",
		"-debug-addr", "(env DEBUG_ADDR)", "-debug-allow-unauthenticated", "(env DEBUG_ALLOW_UNAUTHENTICATED)"} {
		if !strings.Contains(usage.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, usage.String())
		}
	}
}

// TestEnvNamesListTheSecretsAndTheDebugListener: the manifests are checked
// against EnvNames, so every new variable is in it, the secrets too,
// though they have no flag.
func TestEnvNamesListTheSecretsAndTheDebugListener(t *testing.T) {
	names, err := EnvNames(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ADMIN_ADDR", "DEBUG_ADDR", "DEBUG_ALLOW_UNAUTHENTICATED", "ADMIN_TOKEN", "ADMIN_TOKEN_FILE",
		"KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE"} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvNames lacks %s: %v", want, names)
		}
	}
}

// TestDebugListenerSettings: the debug listener defaults to loopback; its
// address and the explicit allow come from the file, the environment or
// the flags; beyond loopback it is refused without a token, and accepted
// with ADMIN_TOKEN, ADMIN_TOKEN_FILE or the allow.
func TestDebugListenerSettings(t *testing.T) {
	cfg, err := Load("run", source(nil, nil, nil), nil)
	if err != nil || cfg.Admin.DebugAddr != "127.0.0.1:6060" || cfg.Admin.DebugAllowUnauthenticated {
		t.Fatalf("defaults: %+v, %v", cfg.Admin, err)
	}
	files := map[string]string{"/run/secrets/admin": "tok\n",
		"c.yaml": "admin:\n  debug_addr: 0.0.0.0:6060\n  debug_allow_unauthenticated: true\n"}
	for _, tt := range []struct {
		name  string
		args  []string
		env   map[string]string
		want  string // the problem; "" for none
		token string
	}{
		{name: "env, no token", env: map[string]string{"DEBUG_ADDR": ":6060"}, want: `admin.debug_addr (DEBUG_ADDR) ":6060" is refused without a token`},
		{name: "flag, no token", args: []string{"--debug-addr", "10.0.0.5:6060"}, want: `"10.0.0.5:6060" is refused without a token`},
		{name: "env, token", env: map[string]string{"DEBUG_ADDR": ":6060", "ADMIN_TOKEN": "tok"}, token: "tok"},
		{name: "env, token file", env: map[string]string{"DEBUG_ADDR": ":6060", "ADMIN_TOKEN_FILE": "/run/secrets/admin"}, token: "tok"},
		{name: "env, allowed", env: map[string]string{"DEBUG_ADDR": "[::]:6060", "DEBUG_ALLOW_UNAUTHENTICATED": "true"}},
		{name: "flags, allowed", args: []string{"--debug-addr", "0.0.0.0:6060", "--debug-allow-unauthenticated"}},
		{name: "file, allowed", args: []string{"--config", "c.yaml"}},
		{name: "file allows, env takes it back", args: []string{"--config", "c.yaml"}, env: map[string]string{"DEBUG_ALLOW_UNAUTHENTICATED": "false"},
			want: `"0.0.0.0:6060" is refused without a token`},
		{name: "off", env: map[string]string{"DEBUG_ADDR": ""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("run", source(tt.args, tt.env, files), nil)
			if tt.want == "" {
				if err != nil || cfg.Admin.Token != tt.token {
					t.Fatalf("token %q, err %v; want token %q", cfg.Admin.Token, err, tt.token)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestPrintNamesTheSecretFilesAndLoadsBack: a secret read from a file is
// printed as its file's name only, and the printed configuration loads
// back to the same secrets.
func TestPrintNamesTheSecretFilesAndLoadsBack(t *testing.T) {
	files := map[string]string{"/run/secrets/kafka": "hunter2\n", "/run/secrets/admin": "t0ken\n"}
	env := map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u",
		"KAFKA_SASL_PASSWORD_FILE": "/run/secrets/kafka", "ADMIN_TOKEN_FILE": "/run/secrets/admin"}
	cfg, err := Load("run", source(nil, env, files), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(&out, cfg, nil); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Contains(text, "hunter2") || strings.Contains(text, "t0ken") || strings.Contains(text, "REDACTED") ||
		!strings.Contains(text, "password_file: /run/secrets/kafka") || !strings.Contains(text, "token_file: /run/secrets/admin") {
		t.Fatalf("printed:\n%s", text)
	}
	files["p.yaml"] = text
	back, err := Load("run", source([]string{"--config", "p.yaml"}, nil, files), nil)
	if err != nil {
		t.Fatalf("printed configuration does not load: %v", err)
	}
	if back.Kafka.SASL.Password != "hunter2" || back.Admin.Token != "t0ken" {
		t.Fatalf("round trip: password %q, token %q", back.Kafka.SASL.Password, back.Admin.Token)
	}
}
