package consumerkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// greeterModule is a service written by another team: its own module,
// with one handler, using only the framework's public packages (pkg/...):
// a test in memory through the engine's delivery, and one on an embedded
// broker with the engine built by hand.
var greeterModule = map[string]string{
	"greeter.go": `// Package greeter is a consumer service outside consumerkit's module.
package greeter

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Greeter counts greetings; an empty one is refused for good.
type Greeter struct{ Greeted atomic.Int64 }

// Registration declares the handler and its default subscription.
func (g *Greeter) Registration() registry.Registration {
	return registry.Handler("greeter", g, registry.Subscription{
		Topic: "greetings", Ordering: registry.OrderingPartition,
		DeadLetter: registry.DeadLetterConfig{Enabled: true},
	})
}

// Handle implements message.Handler.
func (g *Greeter) Handle(_ context.Context, m *message.Message) error {
	if len(m.Value) == 0 {
		return message.Permanent(errors.New("empty greeting"))
	}
	g.Greeted.Add(1)
	return nil
}
`,
	"greeter_test.go": `package greeter

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/consumertest/handlertest"
	"github.com/consumerkit/consumerkit/pkg/kafka"
	"github.com/consumerkit/consumerkit/pkg/kafka/kafkatest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGreeterInMemory(t *testing.T) {
	g := &Greeter{}
	res := handlertest.Run(t, g.Registration(), message.Message{Value: []byte("hi")}, message.Message{})
	if got := res.Outcomes(); len(got) != 2 || got[0] != handlertest.Success || got[1] != handlertest.DeadLettered {
		t.Fatalf("outcomes %v, want [success dead_lettered]", got)
	}
}

func TestGreeterOnTheEmbeddedBroker(t *testing.T) {
	const n = 50
	broker := kafkatest.Start(t, 2, "greetings", "greetings.dlq")
	g := &Greeter{}
	reg, err := registry.New(g.Registration())
	if err != nil {
		t.Fatal(err)
	}
	cfg := kafka.DefaultConfig()
	cfg.Brokers, cfg.GroupID = broker.Addrs(), "greeter"
	metrics, err := kafka.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	engine, err := kafka.NewEngine(cfg, kafka.NewCluster(cfg, zap.NewNop()), reg, metrics, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := engine.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	for i := range n {
		broker.Produce("greetings", i%2, message.Message{Key: []byte(strconv.Itoa(i)), Value: []byte("hello")})
	}
	broker.Produce("greetings", 0, message.Message{Key: []byte("empty")})
	consumertest.Eventually(t, "every greeting handled", func() bool { return g.Greeted.Load() == n })
	consumertest.Eventually(t, "the empty one dead-lettered", func() bool { return len(broker.ReadTopic("greetings.dlq")) == 1 })
	consumertest.Eventually(t, "every offset committed", func() bool {
		c := broker.Committed("greeter", "greetings")
		return c[0] == n/2+1 && c[1] == n/2
	})
}
`,
}

// TestAnotherModuleRunsAHandlerOnTheFramework builds a separate module in
// a temporary directory (its own go.mod, requiring this module through a
// replace to the checkout) with one handler that uses only the public
// framework packages, and runs its tests: one in memory, one on an
// embedded broker. An internal/ import, or a framework API that only
// this module can reach, fails it.
func TestAnotherModuleRunsAHandlerOnTheFramework(t *testing.T) {
	checkout, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module example.com/greeter\n\ngo 1.26.0\n\n" +
		"require github.com/consumerkit/consumerkit v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/consumerkit/consumerkit => " + checkout + "\n"
	files := map[string]string{"go.mod": goMod}
	for name, body := range greeterModule {
		files[name] = body
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	files["go.sum"] = string(sum)
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runIn(t, dir, "go", "mod", "tidy")
	out := runIn(t, dir, "go", "test", "-count=1", "-v", "./...")
	for _, test := range []string{"TestGreeterInMemory", "TestGreeterOnTheEmbeddedBroker"} {
		if !strings.Contains(out, "--- PASS: "+test+" ") {
			t.Errorf("%s did not pass in the other module:\n%s", test, out)
		}
	}
}
