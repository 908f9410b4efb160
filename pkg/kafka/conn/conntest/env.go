package conntest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/consumerkit/consumerkit/pkg/kafka/conn"
)

// FromEnv returns the kafka.tls and kafka.sasl settings that the
// process's environment gives: FromLookup(os.LookupEnv).
func FromEnv() (conn.TLSConfig, conn.SASLConfig, error) { return FromLookup(os.LookupEnv) }

// FromLookup returns the kafka.tls and kafka.sasl settings that the
// environment variables KAFKA_TLS_ENABLED, KAFKA_TLS_CA_FILE,
// KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE, KAFKA_SASL_MECHANISM,
// KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE
// give, as looked up by lookup, read as the binary's configuration loader
// reads them (the password file's trailing newlines trimmed); pkg/config's
// tests hold the two to the same result. A variable that is not set leaves
// its setting off. The settings are validated; a problem is returned
// naming its variable.
func FromLookup(lookup func(string) (string, bool)) (conn.TLSConfig, conn.SASLConfig, error) {
	get := func(k string) string { v, _ := lookup(k); return v }
	var t conn.TLSConfig
	var s conn.SASLConfig
	if v, ok := lookup("KAFKA_TLS_ENABLED"); ok {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return t, s, fmt.Errorf("KAFKA_TLS_ENABLED %q: %w", v, err)
		}
		t.Enabled = on
	}
	t.CAFile, t.CertFile, t.KeyFile = get("KAFKA_TLS_CA_FILE"), get("KAFKA_TLS_CERT_FILE"), get("KAFKA_TLS_KEY_FILE")
	s.Mechanism, s.Username, s.Password = get("KAFKA_SASL_MECHANISM"), get("KAFKA_SASL_USERNAME"), get("KAFKA_SASL_PASSWORD")
	if s.PasswordFile = get("KAFKA_SASL_PASSWORD_FILE"); s.PasswordFile != "" {
		if s.Password != "" {
			return t, s, fmt.Errorf("KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set")
		}
		data, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return t, s, fmt.Errorf("KAFKA_SASL_PASSWORD_FILE: %w", err)
		}
		if s.Password = strings.TrimRight(string(data), "\r\n"); s.Password == "" {
			return t, s, fmt.Errorf("KAFKA_SASL_PASSWORD_FILE %s is empty", s.PasswordFile)
		}
	}
	if errs := append(t.Validate(), s.Validate()...); len(errs) > 0 {
		return t, s, fmt.Errorf("connection settings from the environment: %w", errors.Join(errs...))
	}
	return t, s, nil
}

// SettingsFromEnv is FromEnv built into conn.Settings.
func SettingsFromEnv() (conn.Settings, error) {
	t, s, err := FromEnv()
	if err != nil {
		return conn.Settings{}, err
	}
	return conn.New(t, s)
}
