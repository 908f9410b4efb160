package config_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/consumerkit/consumerkit/pkg/config"
)

// greeter is a service's own section: the part of the configuration the
// framework does not know, filled by Load beside the framework's.
type greeter struct {
	Greeter greeterSettings `yaml:"greeter"`
}

type greeterSettings struct {
	Greeting string        `yaml:"greeting"`
	Pause    time.Duration `yaml:"pause"`
}

func (g *greeter) Bind(bind func(env, flag, usage string, field any)) {
	bind("GREETER_GREETING", "greeting", "what the greeter says", &g.Greeter.Greeting)
	bind("GREETER_PAUSE", "greeter-pause", "how long the greeter waits", &g.Greeter.Pause)
}

func (g *greeter) Validate([]string) []error {
	if g.Greeter.Greeting == "" {
		return []error{errors.New("greeter.greeting must not be empty")}
	}
	return nil
}

// Load layers defaults, the YAML file, the environment and flags, the
// later winning, for the framework's sections and the service's alike.
func ExampleLoad() {
	files := map[string]string{"service.yaml": `
kafka:
  group_id: greeter
greeter:
  greeting: hello
  pause: 1s
`}
	env := map[string]string{"GREETER_PAUSE": "2s"}
	src := config.Source{
		Args: []string{"--config", "service.yaml", "--greeting", "hi"},
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
		ReadFile: func(name string) ([]byte, error) {
			if f, ok := files[name]; ok {
				return []byte(f), nil
			}
			return nil, &os.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
	}
	svc := &greeter{}
	svc.Greeter.Greeting = "hello, default"
	cfg, err := config.Load("greeter", src, svc)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Kafka.GroupID)           // from the file
	fmt.Println(svc.Greeter.Greeting)        // the flag wins over the file
	fmt.Println(svc.Greeter.Pause)           // the environment wins over the file
	fmt.Println(len(cfg.Kafka.Brokers) == 0) // no brokers: the embedded one
	// Output:
	// greeter
	// hi
	// 2s
	// true
}

// Load reports every problem it finds at once, one per line, before
// anything connects; the settings are validated once they all parse.
func ExampleLoad_errors() {
	src := config.Source{
		Args: []string{"--config", "service.yaml"},
		LookupEnv: func(name string) (string, bool) {
			return "soon", name == "GREETER_PAUSE"
		},
		ReadFile: func(string) ([]byte, error) {
			return []byte("greeter:\n  greting: hi\n"), nil
		},
	}
	_, err := config.Load("greeter", src, &greeter{})
	fmt.Println(err)
	// Output:
	// config file service.yaml: line 2: field greting not found in type config_test.greeterSettings
	// GREETER_PAUSE: "soon" is not a duration such as 30s
}
