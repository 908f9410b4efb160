package service_test

import (
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/config"
)

func load(args []string, env map[string]string, file string) (*service.Settings, error) {
	s := service.DefaultSettings()
	_, err := config.Load("run", config.Source{
		Args:      args,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile:  func(string) ([]byte, error) { return []byte(file), nil },
	}, s)
	return s, err
}

// TestSettingsLoadFromTheirSectionsEnvironmentAndFlags: the example's
// sections (service, demo, cache) load from the file, and the names the README
// documents override them: DEMO_RATE, DEMO_BAD_RATE, DEMO_FAULT and
// ALLOW_DEMO_FAULT, and their flags (--allow-demo-fault may be bare).
func TestSettingsLoadFromTheirSectionsEnvironmentAndFlags(t *testing.T) {
	file := "service:\n  output_topic: out\n  customers: 50\ndemo:\n  rate: 7\ncache:\n  max_items: 40\n  items_to_prune: 4\n"
	s, err := load([]string{"--config", "c.yaml", "--demo-fault", "slow", "--brokers", "b:9092", "--allow-demo-fault"},
		map[string]string{"DEMO_BAD_RATE": "0.25", "DEMO_RATE": "9"}, file)
	if err != nil {
		t.Fatal(err)
	}
	want := service.Settings{
		Service: service.Config{InputTopic: "orders", OutputTopic: "out", Customers: 50, DemoFault: "slow", AllowDemoFault: true},
		Demo:    service.DemoConfig{Rate: 9, BadRate: 0.25},
		Cache:   cache.Config{MaxItems: 40, ItemsToPrune: 4, TTL: cache.DefaultConfig().TTL},
	}
	if *s != want {
		t.Fatalf("got %+v\nwant %+v", *s, want)
	}
	s, err = load(nil, map[string]string{"ALLOW_DEMO_FAULT": "true", "DEMO_FAULT": "leak"}, "")
	if err != nil || !s.Service.AllowDemoFault || s.Service.DemoFault != "leak" {
		t.Fatalf("from the environment: %+v %v", s.Service, err)
	}
}

// TestSettingsRefuseBadValuesAndFaultsOnRealBrokers: every problem of the
// example's sections is listed; a demo fault is refused on real brokers
// unless allowed, and always allowed on the embedded one.
func TestSettingsRefuseBadValuesAndFaultsOnRealBrokers(t *testing.T) {
	_, err := load([]string{"--config", "c.yaml", "--demo-fault", "meltdown", "--demo-rate", "-1", "--demo-bad-rate", "2"}, nil, "service:\n  customers: 0\n")
	for _, want := range []string{
		`service.demo_fault "meltdown": must be one of`,
		"demo.rate must be between 0 and 100000",
		"demo.bad_rate must be between 0 and 1, got 2",
		"service.customers must be between 1 and 99999, got 0",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if _, err := load([]string{"--brokers", "b:9092", "--demo-fault", "slow"}, nil, ""); err == nil ||
		!strings.Contains(err.Error(), "--demo-fault slow on real brokers ([b:9092]) is refused") {
		t.Fatalf("a demo fault on real brokers without --allow-demo-fault: %v", err)
	}
	if _, err := load([]string{"--demo-fault", "slow"}, nil, ""); err != nil {
		t.Fatalf("a demo fault on the embedded broker: %v", err)
	}
}
