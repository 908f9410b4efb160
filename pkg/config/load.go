package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Source is where Load reads from; tests give their own.
type Source struct {
	// Args are the command's flags (without the program and subcommand).
	Args []string
	// LookupEnv reads an environment variable (os.LookupEnv in production).
	LookupEnv func(string) (string, bool)
	// ReadFile reads the --config file (os.ReadFile in production).
	ReadFile func(string) ([]byte, error)
}

// OSSource reads the process's flags, environment and files.
func OSSource(args []string) Source {
	return Source{Args: args, LookupEnv: os.LookupEnv, ReadFile: os.ReadFile}
}

// FlagSet returns the flags Load understands with svc, for usage text;
// the values it records are only read by Load.
func FlagSet(name string, output io.Writer, svc Section) (*flag.FlagSet, error) {
	var c Config
	all, err := allBindings(&c, svc)
	if err != nil {
		return nil, err
	}
	fs, _, _ := newFlagSet(name, all)
	fs.SetOutput(output)
	return fs, nil
}

type flagValue struct {
	b binding
	v string
}

// newFlagSet registers --config and a flag per binding; a flag given is
// recorded, to be applied after the environment (flags win).
func newFlagSet(name string, all []binding, extra ...func(*flag.FlagSet)) (*flag.FlagSet, *string, *[]flagValue) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "", "YAML configuration file (also CONSUMER_CONFIG)")
	var given []flagValue
	for _, b := range all {
		if b.flag == "" {
			continue // read from the environment only
		}
		record := func(v string) error {
			given = append(given, flagValue{b, v})
			return nil
		}
		if b.boolean() {
			fs.BoolFunc(b.flag, b.usage+" (env "+b.env+")", record)
		} else {
			fs.Func(b.flag, b.usage+" (env "+b.env+")", record)
		}
	}
	for _, register := range extra {
		register(fs)
	}
	return fs, path, &given
}

// Load returns the framework's effective configuration and fills svc, the
// service's own sections (nil for none), in place: defaults, overridden by
// the YAML file (--config or CONSUMER_CONFIG), by environment variables,
// by flags. It returns an error listing every problem found (bad flags,
// unreadable file, unknown sections or fields in it, unparsable values,
// a secret given as a flag, an unreadable or empty secret file, a secret
// given both ways, invalid settings), one per line; then svc may be partly
// filled. A secret set by its *_FILE setting holds the file's content,
// the trailing newlines trimmed (see secrets). Each
// extra function registers flags of the command's own on the same flag
// set before parsing.
func Load(name string, src Source, svc Section, extra ...func(*flag.FlagSet)) (Config, error) {
	cfg := Default()
	all, err := allBindings(&cfg, svc)
	if err != nil {
		return Config{}, err
	}
	if _, err := newDocument(cfg, svc); err != nil {
		return Config{}, err // a section the file could never be decoded into
	}
	fs, path, flags := newFlagSet(name, all, extra...)
	refused := refuseSecretFlags(fs, &cfg)
	if err := fs.Parse(src.Args); err != nil {
		return Config{}, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("flags: unexpected argument %q", fs.Arg(0))
	}
	errs := refused()
	file := *path
	if file == "" {
		file, _ = src.LookupEnv("CONSUMER_CONFIG")
	}
	if file != "" {
		if err := decodeFile(src, file, &cfg, svc); err != nil {
			errs = append(errs, err)
		}
	}
	for _, b := range all {
		if v, ok := src.LookupEnv(b.env); ok {
			if err := set(b.field, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", b.env, err))
			}
		}
	}
	for _, f := range *flags {
		if err := set(f.b.field, f.v); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", f.b.flag, err))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, readSecretFiles(src, &cfg)...)
		errs = append(errs, cfg.Validate())
		if svc != nil {
			errs = append(errs, svc.Validate(cfg.Kafka.Brokers)...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
