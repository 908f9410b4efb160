package config

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// testSection is a service's part of the configuration as a service
// declares one: two sections of its own, a setting of every kind bound to
// an environment variable and a flag, and checks of its own.
type testSection struct {
	Orders ordersSection `yaml:"orders"`
	Extra  struct {
		Name string `yaml:"name"`
	} `yaml:"extra"`
}

type ordersSection struct {
	Topic string        `yaml:"topic"`
	Rate  int           `yaml:"rate"`
	Big   int64         `yaml:"big"`
	Share float64       `yaml:"share"`
	Every time.Duration `yaml:"every"`
	Tags  []string      `yaml:"tags"`
	Loud  bool          `yaml:"loud"`
}

func newTestSection() *testSection {
	s := &testSection{Orders: ordersSection{Topic: "orders", Rate: 5, Every: time.Second}}
	s.Extra.Name = "x"
	return s
}

func (s *testSection) Bind(bind func(env, flag, usage string, field any)) {
	bind("ORDERS_TOPIC", "orders-topic", "the topic", &s.Orders.Topic)
	bind("ORDERS_RATE", "orders-rate", "per second", &s.Orders.Rate)
	bind("ORDERS_BIG", "orders-big", "a large number", &s.Orders.Big)
	bind("ORDERS_SHARE", "orders-share", "a fraction", &s.Orders.Share)
	bind("ORDERS_EVERY", "orders-every", "a duration", &s.Orders.Every)
	bind("ORDERS_TAGS", "orders-tags", "a list", &s.Orders.Tags)
	bind("ORDERS_LOUD", "orders-loud", "a switch", &s.Orders.Loud)
}

func (s *testSection) Validate(brokers []string) []error {
	var errs []error
	if s.Orders.Rate < 0 {
		errs = append(errs, fmt.Errorf("orders.rate must be >= 0, got %d", s.Orders.Rate))
	}
	if s.Orders.Loud && len(brokers) > 0 {
		errs = append(errs, fmt.Errorf("orders.loud is refused on real brokers %v", brokers))
	}
	return errs
}

// TestSectionIsOverriddenLikeTheFramework: the service's settings take
// their defaults, then the file, the environment and the flags, each
// winning over the one before, like the framework's.
func TestSectionIsOverriddenLikeTheFramework(t *testing.T) {
	file := "orders:\n  topic: from-file\n  rate: 7\n  share: 0.5\nextra:\n  name: from-file\n"
	env := map[string]string{"ORDERS_TOPIC": "from-env", "ORDERS_RATE": "8"}
	svc := newTestSection()
	if _, err := Load("run", source([]string{"--config", "c.yaml", "--orders-topic", "from-flag"}, env, map[string]string{"c.yaml": file}), svc); err != nil {
		t.Fatal(err)
	}
	o := svc.Orders
	if o.Topic != "from-flag" || o.Rate != 8 || o.Share != 0.5 || svc.Extra.Name != "from-file" || o.Every != time.Second {
		t.Fatalf("got %+v, extra %q: want topic from the flag, rate from env, share and name from the file, every the default", o, svc.Extra.Name)
	}
}

// TestSectionSettingsOfEveryKindParse: one setting of each kind a section
// may bind, given well-formed, lands in it; given malformed, is reported
// by name, every one.
func TestSectionSettingsOfEveryKindParse(t *testing.T) {
	env := map[string]string{"ORDERS_RATE": "12", "ORDERS_BIG": "4194304", "ORDERS_SHARE": "0.25", "ORDERS_EVERY": "45s", "ORDERS_TAGS": "a, b,,c"}
	svc := newTestSection()
	if _, err := Load("run", source([]string{"--orders-loud"}, env, nil), svc); err != nil {
		t.Fatal(err)
	}
	o := svc.Orders
	if o.Rate != 12 || o.Big != 4<<20 || o.Share != 0.25 || o.Every != 45*time.Second || !slices.Equal(o.Tags, []string{"a", "b", "c"}) || !o.Loud {
		t.Fatalf("got %+v", o)
	}
	bad := map[string]string{"ORDERS_RATE": "fast", "ORDERS_BIG": "8MB", "ORDERS_SHARE": "1%", "ORDERS_EVERY": "soon", "ORDERS_LOUD": "yes please"}
	_, err := Load("run", source(nil, bad, nil), newTestSection())
	for _, want := range []string{
		`ORDERS_RATE: "fast" is not a whole number`,
		`ORDERS_BIG: "8MB" is not a whole number`,
		`ORDERS_SHARE: "1%" is not a number`,
		`ORDERS_EVERY: "soon" is not a duration`,
		`ORDERS_LOUD: "yes please" is not true or false`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// TestSectionIsValidatedWithTheBrokers: the section's problems are listed
// with the framework's, and its checks see the configured brokers.
func TestSectionIsValidatedWithTheBrokers(t *testing.T) {
	_, err := Load("run", source([]string{"--orders-rate", "-1", "--log-format", "xml"}, nil, nil), newTestSection())
	if err == nil || !strings.Contains(err.Error(), "orders.rate must be >= 0, got -1") || !strings.Contains(err.Error(), `log.format "xml"`) {
		t.Fatalf("got %v", err)
	}
	if _, err := Load("run", source([]string{"--orders-loud"}, nil, nil), newTestSection()); err != nil {
		t.Fatalf("on the embedded broker: %v", err)
	}
	_, err = Load("run", source([]string{"--orders-loud", "--brokers", "b:9092"}, nil, nil), newTestSection())
	if err == nil || !strings.Contains(err.Error(), "orders.loud is refused on real brokers [b:9092]") {
		t.Fatalf("got %v", err)
	}
}

// TestUnknownSectionsAndFieldsAreReportedWithTheirLines: a top-level
// section neither the framework nor the service has, and an unknown field
// inside a service's section, are errors naming their lines; the first
// lists the known sections.
func TestUnknownSectionsAndFieldsAreReportedWithTheirLines(t *testing.T) {
	file := "kafka:\n  group_id: g\nordres:\n  topic: typo\norders:\n  rat: 3\nbogus: 1\nzz: 1\naa: 2\n"
	_, err := Load("run", source([]string{"--config", "c.yaml"}, nil, map[string]string{"c.yaml": file}), newTestSection())
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`config file c.yaml: line 3: unknown section "ordres" (known: admin, extra, kafka, log, orders, shutdown, watchdog)`,
		`config file c.yaml: line 7: unknown section "bogus"`,
		"config file c.yaml: line 6: field rat not found",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	at := func(name string) int { return strings.Index(err.Error(), `unknown section "`+name+`"`) }
	if !(at("ordres") < at("bogus") && at("bogus") < at("zz") && at("zz") < at("aa")) {
		t.Errorf("unknown sections are not listed in the order of their lines:\n%v", err)
	}
	// Without the service's section, its sections are unknown too.
	_, err = Load("run", source([]string{"--config", "c.yaml"}, nil, map[string]string{"c.yaml": "orders:\n  rate: 3\n"}), nil)
	if err == nil || !strings.Contains(err.Error(), `line 1: unknown section "orders"`) {
		t.Fatalf("got %v", err)
	}
}

// TestPrintShowsTheSectionAndLoadsBack: the printed configuration holds
// the framework's sections and the service's, and loads back to the same
// settings.
func TestPrintShowsTheSectionAndLoadsBack(t *testing.T) {
	svc := newTestSection()
	cfg, err := Load("run", source([]string{"--orders-rate", "9", "--orders-tags", "x,y", "--group-id", "g"}, nil, nil), svc)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(&out, cfg, svc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kafka:\n", "group_id: g", "watchdog:\n", "orders:\n  topic: orders\n  rate: 9\n", "extra:\n  name: x\n"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("printed configuration lacks %q:\n%s", want, out.String())
		}
	}
	back := newTestSection()
	back.Orders.Rate, back.Extra.Name = 0, ""
	if _, err := Load("run", source([]string{"--config", "p.yaml"}, nil, map[string]string{"p.yaml": out.String()}), back); err != nil {
		t.Fatalf("printed configuration does not load: %v", err)
	}
	if back.Orders.Rate != 9 || !slices.Equal(back.Orders.Tags, []string{"x", "y"}) || back.Extra.Name != "x" {
		t.Fatalf("round trip: %+v", back)
	}
}

// TestFlagSetAndEnvNamesIncludeTheSection: usage text and the list of
// environment variables the binary reads include the service's.
func TestFlagSetAndEnvNamesIncludeTheSection(t *testing.T) {
	var usage bytes.Buffer
	fs, err := FlagSet("consumer", &usage, newTestSection())
	if err != nil {
		t.Fatal(err)
	}
	fs.PrintDefaults()
	for _, want := range []string{"-orders-rate", "per second (env ORDERS_RATE)", "-group-id", "-config"} {
		if !strings.Contains(usage.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, usage.String())
		}
	}
	names, err := EnvNames(newTestSection())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CONSUMER_CONFIG", "KAFKA_BROKERS", "LOG_LEVEL", "ORDERS_RATE", "ORDERS_LOUD"} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvNames lacks %s: %v", want, names)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
		t.Fatalf("a name listed twice: %v", names)
	}
}

// clashing binds a name the framework binds; oddKind binds a setting the
// loader cannot parse; shadowing names a section the framework has;
// notAPointer is a struct value.
type (
	clashing  struct{ testSection }
	oddKind   struct{ testSection }
	shadowing struct {
		Kafka struct{} `yaml:"kafka"`
	}
	notAPointer struct{}
)

func (s *clashing) Bind(bind func(env, flag, usage string, field any)) {
	bind("LOG_LEVEL", "verbosity", "", &s.Orders.Topic)
}

func (s *oddKind) Bind(bind func(env, flag, usage string, field any)) {
	bind("ORDERS_SIZE", "orders-size", "", new(uint))
}

func (*shadowing) Bind(func(env, flag, usage string, field any))  {}
func (*shadowing) Validate([]string) []error                      { return nil }
func (notAPointer) Bind(func(env, flag, usage string, field any)) {}
func (notAPointer) Validate([]string) []error                     { return nil }

// TestAMisdeclaredSectionIsRefused: mistakes in the program's own section
// are errors of Load, never silently ignored settings.
func TestAMisdeclaredSectionIsRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		svc  Section
		want string
	}{
		{"a name bound twice", &clashing{}, "LOG_LEVEL / --verbosity is bound twice"},
		{"a kind the loader cannot parse", &oddKind{}, "ORDERS_SIZE binds a *uint"},
		{"a section the framework has", &shadowing{}, "names a section the framework has"},
		{"not a pointer", notAPointer{}, "must be a non-nil pointer to a struct"},
		{"a nil pointer", (*testSection)(nil), "must be a non-nil pointer to a struct"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load("run", source(nil, nil, nil), tt.svc); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
