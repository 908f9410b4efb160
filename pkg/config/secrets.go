package config

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"strings"
)

// secret is a setting that must not travel on the command line, where the
// process list and /debug/pprof/cmdline show it to whoever looks. It is
// read from its environment variable (or the file) or from its *_FILE
// setting's file, and its flag is refused.
type secret struct {
	flag                 string // refused
	setting, env         string
	fileSetting, fileEnv string
	value, file          *string
}

// secrets lists c's secrets. Their environment variables and the *_FILE
// settings are bindings like any other (see frameworkBindings).
func secrets(c *Config) []secret {
	return []secret{
		{"sasl-password", "kafka.sasl.password", "KAFKA_SASL_PASSWORD", "kafka.sasl.password_file", "KAFKA_SASL_PASSWORD_FILE",
			&c.Kafka.SASL.Password, &c.Kafka.SASL.PasswordFile},
		{"admin-token", "admin.token", "ADMIN_TOKEN", "admin.token_file", "ADMIN_TOKEN_FILE",
			&c.Admin.Token, &c.Admin.TokenFile},
	}
}

// refuseSecretFlags registers each secret's flag on fs, so that giving it
// is reported by name, never with its value (flag's own error for a bad
// value would print it) and never as an unknown flag. The flags are not
// in FlagSet, so the usage text does not offer them. The returned function
// lists the refusals once fs has parsed the arguments.
func refuseSecretFlags(fs *flag.FlagSet, c *Config) func() []error {
	var errs []error
	for _, s := range secrets(c) {
		fs.Func(s.flag, "refused: set "+s.env+" or "+s.fileEnv, func(string) error {
			errs = append(errs, fmt.Errorf("--%s is refused: a flag is visible in the process list and in /debug/pprof/cmdline; set %s or %s",
				s.flag, s.env, s.fileEnv))
			return nil
		})
	}
	return func() []error { return errs }
}

// readSecretFiles sets each secret whose *_FILE setting names a file to
// the file's content, the trailing newlines trimmed (what `echo` and most
// editors leave, and what Kubernetes Secret volumes hold as written). An
// unreadable or empty file, or a secret set both directly and by file
// (which one was meant?), is a problem naming both settings and the path.
func readSecretFiles(src Source, c *Config) []error {
	var errs []error
	for _, s := range secrets(c) {
		if *s.file == "" {
			continue
		}
		named := fmt.Sprintf("%s (%s) %q", s.fileSetting, s.fileEnv, *s.file)
		if *s.value != "" {
			errs = append(errs, fmt.Errorf("%s (%s) and %s are both set: set one of them", s.setting, s.env, named))
			continue
		}
		data, err := src.ReadFile(*s.file)
		if err != nil {
			if pe := new(fs.PathError); errors.As(err, &pe) {
				err = pe.Err // the path is named already
			}
			errs = append(errs, fmt.Errorf("%s: %w", named, err))
			continue
		}
		v := strings.TrimRight(string(data), "\r\n")
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", named))
			continue
		}
		*s.value = v
	}
	return errs
}
