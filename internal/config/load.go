package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
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

// FlagSet returns the flags Load understands, for usage text; the values it
// records are only read by Load.
func FlagSet(name string, output io.Writer) *flag.FlagSet {
	fs, _, _ := newFlagSet(name)
	fs.SetOutput(output)
	return fs
}

type flagValue struct {
	b binding
	v string
}

func newFlagSet(name string, extra ...func(*flag.FlagSet)) (*flag.FlagSet, *string, *[]flagValue) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "", "YAML configuration file (also CONSUMER_CONFIG)")
	var set []flagValue
	for _, b := range bindings() {
		record := func(v string) error {
			set = append(set, flagValue{b, v})
			return nil
		}
		if b.boolean {
			fs.BoolFunc(b.flag, b.usage+" (env "+b.env+")", record)
		} else {
			fs.Func(b.flag, b.usage+" (env "+b.env+")", record)
		}
	}
	for _, register := range extra {
		register(fs)
	}
	return fs, path, &set
}

// Load returns the effective configuration, or an error listing every
// problem found (bad flags, unreadable or unknown fields in the file,
// unparsable environment values, invalid settings), one per line.
func Load(name string, src Source) (Config, error) { return LoadWith(name, src) }

// LoadWith is Load for a command with flags of its own: each extra
// function registers them on the same flag set before parsing.
func LoadWith(name string, src Source, extra ...func(*flag.FlagSet)) (Config, error) {
	fs, path, flags := newFlagSet(name, extra...)
	if err := fs.Parse(src.Args); err != nil {
		return Config{}, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("flags: unexpected argument %q", fs.Arg(0))
	}
	cfg := Default()
	var errs []error
	file := *path
	if file == "" {
		file, _ = src.LookupEnv("CONSUMER_CONFIG")
	}
	if file != "" {
		if err := decodeFile(src, file, &cfg); err != nil {
			errs = append(errs, err)
		}
	}
	for _, b := range bindings() {
		if v, ok := src.LookupEnv(b.env); ok {
			if err := b.set(&cfg, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", b.env, err))
			}
		}
	}
	for _, f := range *flags {
		if err := f.b.set(&cfg, f.v); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", f.b.flag, err))
		}
	}
	if len(errs) == 0 {
		applyDemoFault(&cfg)
		errs = append(errs, cfg.Validate())
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decodeFile overlays the YAML file on cfg; fields it does not know are an
// error (a typo must not silently fall back to a default).
func decodeFile(src Source, path string, cfg *Config) error {
	data, err := src.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var errs []error
			for _, e := range te.Errors {
				errs = append(errs, fmt.Errorf("config file %s: %s", path, e))
			}
			return errors.Join(errs...)
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Print writes the configuration as YAML with secrets redacted.
func Print(w io.Writer, cfg Config) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(cfg.Redacted()); err != nil {
		return fmt.Errorf("print config: %w", err)
	}
	return enc.Close()
}

// applyDemoFault shapes the framework's side of a demo fault: the
// example's input subscription and the demo producer's share of malformed
// orders, as the fault (service.Fault) says.
func applyDemoFault(cfg *Config) {
	fault := cfg.Service.Fault()
	for i := range cfg.Kafka.Subscriptions {
		if sub := &cfg.Kafka.Subscriptions[i]; sub.Topic == cfg.Service.InputTopic {
			fault.ShapeSubscription(sub)
		}
	}
	cfg.Demo.BadRate = fault.DemoBadRate(cfg.Demo.BadRate)
}
