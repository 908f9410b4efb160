package config

import (
	"bytes"
	"flag"
	"io/fs"
	"math"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The fuzz targets of the loader feed it a file, environment variables or
// flags nobody planned for, with the service's section of section_test.go
// beside the framework's, and check the loader's contract on whatever
// comes out (checkLoad). Their seeds run in every `go test`; scripts/fuzz.sh
// runs each for a bounded time.

// fuzzFiles are the files a fuzzed source can name: a valid configuration,
// secret files (one with trailing newlines, one empty) and not a YAML
// mapping at all. ReadFile of any other path fails as os.ReadFile would.
var fuzzFiles = map[string]string{
	"c.yaml":   "kafka:\n  brokers: [b1:9092]\n  group_id: g\nlog:\n  level: warn\norders:\n  rate: 3\n",
	"secret":   "s3cret\r\n\n",
	"empty":    "",
	"list.txt": "- a\n- b\n",
}

// fuzzSource is a source with env and args, reading fuzzFiles and, when
// file is not empty, the file c.yaml holding file instead.
func fuzzSource(args []string, env map[string]string, file string) Source {
	files := map[string]string{}
	for k, v := range fuzzFiles {
		files[k] = v
	}
	if file != "" {
		files["c.yaml"] = file
	}
	return Source{
		Args:      args,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if f, ok := files[p]; ok {
				return []byte(f), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
	}
}

// commandFlags registers flags of a command's own, as `consumer dlq
// replay` does, so that fuzzed arguments meet them beside the loader's.
func commandFlags(fs *flag.FlagSet) {
	fs.String("topic", "", "dead-letter topic to read")
	fs.Int("limit", 0, "replay at most this many letters")
	fs.Bool("dry-run", false, "write nothing")
}

// checkLoad loads src and checks what the loader guarantees, whatever src
// holds: no panic; an error leaves the zero Config and is the same error
// when loaded again; a configuration returned is one Validate (the
// framework's and the section's) accepts, that Print shows with every
// secret redacted, and that loads back from what Print wrote to the same
// settings (what `consumer config` prints is what runs).
func checkLoad(t *testing.T, src Source) {
	t.Helper()
	svc := newTestSection()
	cfg, err := Load("run", src, svc, commandFlags)
	if err != nil {
		if !reflect.DeepEqual(cfg, Config{}) {
			t.Fatalf("Load failed (%v) but returned a configuration: %+v", err, cfg)
		}
		if _, again := Load("run", src, newTestSection(), commandFlags); again == nil || again.Error() != err.Error() {
			t.Fatalf("Load is not deterministic: first %q, then %v", err, again)
		}
		return
	}
	if verr := cfg.Validate(); verr != nil {
		t.Fatalf("Load accepted a configuration Validate refuses: %v", verr)
	}
	if errs := svc.Validate(cfg.Kafka.Brokers); len(errs) > 0 {
		t.Fatalf("Load accepted a service section its Validate refuses: %v", errs)
	}
	var printed bytes.Buffer
	if err := Print(&printed, cfg, svc); err != nil {
		t.Fatalf("Print of a loaded configuration: %v", err)
	}
	checkRedacted(t, printed.Bytes())

	// The printed file is loaded alone: no environment, no flag, only the
	// files it may name (secret files).
	back := newTestSection()
	backCfg, err := Load("run", fuzzSource([]string{"--config", "c.yaml"}, nil, printed.String()), back)
	if err != nil {
		t.Fatalf("the printed configuration does not load back: %v\n%s", err, printed.String())
	}
	// What loads back is what was loaded, secrets aside: a secret set
	// directly comes back as REDACTED, one read from a file is read again.
	want := cfg
	if want.Kafka.SASL.PasswordFile == "" && want.Kafka.SASL.Password != "" {
		want.Kafka.SASL.Password = "REDACTED"
	}
	if want.Admin.TokenFile == "" && want.Admin.Token != "" {
		want.Admin.Token = "REDACTED"
	}
	if !sameSettings(reflect.ValueOf(want), reflect.ValueOf(backCfg)) || !sameSettings(reflect.ValueOf(*svc), reflect.ValueOf(*back)) {
		t.Fatalf("the printed configuration loads back to another one:\nloaded %+v %+v\nback   %+v %+v\nprinted:\n%s", want, *svc, backCfg, *back, printed.String())
	}
}

// sameSettings reports whether a and b, values of one type, hold the same
// settings: as reflect.DeepEqual, but an empty list is a missing one (the
// file cannot tell them apart) and NaN is NaN.
func sameSettings(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameSettings(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameSettings(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float() || math.IsNaN(a.Float()) && math.IsNaN(b.Float())
	default:
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
}

// checkRedacted: the printed secrets are empty (read from a file, whose
// name is printed instead) or REDACTED, never a value.
func checkRedacted(t *testing.T, printed []byte) {
	t.Helper()
	var shown Config
	if err := yaml.Unmarshal(printed, &shown); err != nil {
		t.Fatalf("printed configuration is not YAML: %v\n%s", err, printed)
	}
	for name, v := range map[string]string{"kafka.sasl.password": shown.Kafka.SASL.Password, "admin.token": shown.Admin.Token} {
		if v != "" && v != "REDACTED" {
			t.Fatalf("printed configuration shows the secret %s: %q", name, v)
		}
	}
}

// FuzzLoadFile: any configuration file.
func FuzzLoadFile(f *testing.F) {
	for _, seed := range []string{
		fuzzFiles["c.yaml"],
		"kafka:\n  brokers: [b1:9092, b2:9092]\n  group_id: g\n  start_offset: latest\n  commit_interval: 2s\n" +
			"  tls:\n    enabled: true\n    ca_file: ca.pem\n  sasl:\n    mechanism: SCRAM-SHA-512\n    username: u\n    password_file: secret\n",
		"kafka:\n  subscriptions:\n    - topic: orders\n      handler: orders-enricher\n      ordering: partition\n" +
			"      batch:\n        size: 100\n        linger: 200ms\n      retry:\n        max_attempts: 3\n        initial_backoff: 10ms\n" +
			"      dead_letter:\n        enabled: true\n      retry_topic:\n        enabled: true\n        delay: 5s\n        rounds: 2\n",
		"admin:\n  addr: 127.0.0.1:9091\n  debug_addr: 0.0.0.0:6061\n  token: t0ken\nlog:\n  level: debug\n  format: console\n",
		"shutdown:\n  timeout: 1m\nwatchdog:\n  diag_dir: /tmp/diag\n  keep: 3\n  interval: 5s\n",
		"orders:\n  topic: t\n  rate: 7\n  big: 9000000000\n  share: 0.5\n  every: 1h\n  tags: [a, b]\n  loud: true\nextra:\n  name: n\n",
		"orders:\n  share: .nan\n  tags: []\n",
		"kafka:\n  sasl:\n    password: hunter2\n    password_file: secret\n",
		"kafka:\n  grup_id: typo\nordres: 1\n",
		"shutdown:\n  timeout: 12s\nkafka:\n  drain_timeout: 10s\n",
		"a: &a [1, 2]\nb: *a\n",
		"- just\n- a list\n",
		"kafka: {brokers: \"\"}\n---\nlog: {}\n",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, file string) {
		if file == "" {
			checkLoad(t, fuzzSource([]string{"--config", "empty"}, nil, ""))
			return
		}
		checkLoad(t, fuzzSource([]string{"--config", "c.yaml"}, nil, file))
	})
}

// FuzzLoadEnv: any values of up to four of the variables the loader reads
// (CONSUMER_CONFIG and the section's included), each picked by an index.
func FuzzLoadEnv(f *testing.F) {
	names, err := EnvNames(newTestSection())
	if err != nil {
		f.Fatal(err)
	}
	index := func(name string) uint8 {
		for i, n := range names {
			if n == name {
				return uint8(i)
			}
		}
		f.Fatalf("%s is not read by the loader: %v", name, names)
		return 0
	}
	type pair struct{ name, value string }
	for _, seed := range [][4]pair{
		{{"KAFKA_BROKERS", "b1:9092,b2:9092"}, {"KAFKA_GROUP_ID", "g"}, {"LOG_LEVEL", "debug"}, {"COMMIT_INTERVAL", "3s"}},
		{{"KAFKA_SASL_MECHANISM", "SCRAM-SHA-256"}, {"KAFKA_SASL_USERNAME", "u"}, {"KAFKA_SASL_PASSWORD", "hunter2"}, {"KAFKA_BROKERS", "b:9092"}},
		{{"KAFKA_SASL_PASSWORD_FILE", "secret"}, {"ADMIN_TOKEN_FILE", "empty"}, {"ADMIN_TOKEN", "t"}, {"KAFKA_TLS_ENABLED", "true"}},
		{{"CONSUMER_CONFIG", "c.yaml"}, {"KAFKA_BROKERS", ""}, {"SHUTDOWN_TIMEOUT", "16s"}, {"DRAIN_TIMEOUT", "10s"}},
		{{"ORDERS_SHARE", "NaN"}, {"ORDERS_TAGS", "a, b,,c"}, {"ORDERS_BIG", "-9223372036854775808"}, {"ORDERS_EVERY", "-1h"}},
		{{"ORDERS_LOUD", "1"}, {"KAFKA_BROKERS", "host-without-port"}, {"MAX_INFLIGHT", "0x10"}, {"KAFKA_EMBEDDED_PORT", "65536"}},
		{{"DEBUG_ADDR", "0.0.0.0:6061"}, {"DEBUG_ALLOW_UNAUTHENTICATED", "T"}, {"LOG_FORMAT", "console"}, {"STALL_TIMEOUT", "1ns"}},
	} {
		f.Add(index(seed[0].name), seed[0].value, index(seed[1].name), seed[1].value,
			index(seed[2].name), seed[2].value, index(seed[3].name), seed[3].value)
	}
	f.Fuzz(func(t *testing.T, k1 uint8, v1 string, k2 uint8, v2 string, k3 uint8, v3 string, k4 uint8, v4 string) {
		env := map[string]string{}
		for _, p := range []pair{{names[int(k1)%len(names)], v1}, {names[int(k2)%len(names)], v2},
			{names[int(k3)%len(names)], v3}, {names[int(k4)%len(names)], v4}} {
			env[p.name] = p.value
		}
		checkLoad(t, fuzzSource(nil, env, ""))
	})
}

// FuzzLoadFlags: any command line, one argument per line, with a command's
// own flags registered beside the loader's.
func FuzzLoadFlags(f *testing.F) {
	for _, seed := range []string{
		"--brokers\nb1:9092,b2:9092\n--group-id=g\n--log-level=debug",
		"--config\nc.yaml\n--orders-rate\n9\n--orders-tags\nx,y",
		"--tls\n--tls-ca-file=ca.pem\n--sasl-mechanism=PLAIN\n--sasl-username=u\n--sasl-password-file=secret",
		"--sasl-password=hunter2\n--admin-token\nt0ken",
		"-orders-loud\n-brokers=b:9092",
		"--shutdown-timeout=12s\n--drain-timeout=10s",
		"--topic=orders.dlq\n--limit=10\n--dry-run\n--orders-share=Inf",
		"--debug-addr=0.0.0.0:6061\n--admin-token-file=secret\n--debug-allow-unauthenticated=false",
		"--no-such-flag",
		"--\nextra",
		"--config",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var args []string
		if line != "" {
			args = strings.Split(line, "\n")
		}
		checkLoad(t, fuzzSource(args, nil, ""))
	})
}
