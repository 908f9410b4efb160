package scaffold

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/registry"
	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

// plan plans h in dir with known.
func plan(t *testing.T, dir string, h Handler, known Registered) (*Plan, error) {
	t.Helper()
	r, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r.PlanHandler(h, known)
}

// TestPlanHandlerRefusesWhatIsTaken: a name or topic the service's binary
// knows, or that the repository already has (in its configuration file,
// its files or its declarations, which a binary built earlier does not
// know), is refused with a message naming it, and nothing is written.
func TestPlanHandlerRefusesWhatIsTaken(t *testing.T) {
	payments := Handler{Name: "payment-audit", Topic: "payments"}
	known := Registered{Handlers: []string{"orders-enricher"}, Subscriptions: []registry.Subscription{
		{Topic: "orders", Handler: "orders-enricher"},
		{Topic: "refunds", Handler: "refunder", RetryTopic: registry.RetryTopicConfig{Enabled: true}},
		{Topic: "chargebacks", Handler: "chargebacker", RetryTopic: registry.RetryTopicConfig{Enabled: true, Topic: "chargebacks-later"}},
		{Topic: "invoices.retry", Handler: "invoicer"},
	}}
	const configured = "kafka:\n  subscriptions:\n    - topic: audits\n      handler: auditor\n"
	tests := []struct {
		name  string
		h     Handler
		setup func(t *testing.T, dir string)
		why   string
	}{
		{"a registered name", Handler{Name: "orders-enricher", Topic: "new"}, nil, `handler "orders-enricher" is already registered`},
		{"a subscribed topic", Handler{Name: "a", Topic: "orders"}, nil, `topic "orders" is already subscribed, by handler "orders-enricher"`},
		{"the retry topic of a subscription", Handler{Name: "a", Topic: "refunds.retry"}, nil,
			`topic "refunds.retry" is the retry topic of handler "refunder"'s subscription (of "refunds")`},
		{"a retry topic named in its subscription", Handler{Name: "a", Topic: "chargebacks-later"}, nil,
			`topic "chargebacks-later" is the retry topic of handler "chargebacker"'s subscription (of "chargebacks")`},
		{"a retry topic that is subscribed", Handler{Name: "a", Topic: "invoices", RetryTopic: true}, nil,
			`--retry-topic: the retry topic "invoices.retry" is already subscribed, by handler "invoicer"`},
		{"a topic in the configuration file", Handler{Name: "a", Topic: "audits"}, func(t *testing.T, dir string) { write(t, dir, ConfigFile, configured) },
			`topic "audits" is already subscribed in deploy/k8s/config.yaml, by handler "auditor"`},
		{"a name in the configuration file", Handler{Name: "auditor", Topic: "new"}, func(t *testing.T, dir string) { write(t, dir, ConfigFile, configured) },
			`handler "auditor" already has a subscription in deploy/k8s/config.yaml (topic "audits")`},
		{"its file exists", payments, func(t *testing.T, dir string) {
			write(t, dir, "internal/service/payment_audit.go", "package service\n")
		},
			`handler name "payment-audit": internal/service/payment_audit.go already exists`},
		{"its test file exists", payments, func(t *testing.T, dir string) {
			write(t, dir, "internal/service/payment_audit_test.go", "package service\n")
		},
			`handler name "payment-audit": internal/service/payment_audit_test.go already exists`},
		{"its type is declared", Handler{Name: "customer-store", Topic: "new"}, func(t *testing.T, dir string) {
			write(t, dir, "internal/service/store.go", "package service\n\n// CustomerStore stores.\ntype CustomerStore struct{}\n")
		}, `handler name "customer-store": internal/service/store.go:4 already declares CustomerStore, which the new handler would declare too`},
		{"its constant is declared in a test", payments, func(t *testing.T, dir string) {
			write(t, dir, "internal/service/x_test.go", "package service\n\nconst PaymentAuditName = \"x\"\n")
		}, `handler name "payment-audit": internal/service/x_test.go:3 already declares PaymentAuditName`},
		{"its test is declared", payments, func(t *testing.T, dir string) {
			write(t, dir, "internal/service/x_test.go", "package service\n\nimport \"testing\"\n\nfunc TestPaymentAudit(*testing.T) {}\n")
		}, `internal/service/x_test.go:5 already declares TestPaymentAudit`},
		{"its constructor is in the set", payments, func(t *testing.T, dir string) {
			write(t, dir, HandlersFile, "package service\n\nvar Handlers = wire.NewSet(NewPaymentAudit, NewHandlers)\n\nfunc NewHandlers() { registry.New() }\n")
		}, `handler "payment-audit": internal/service/handlers.go already has NewPaymentAudit in its Handlers set`},
		{"the service package does not parse", payments, func(t *testing.T, dir string) {
			write(t, dir, "internal/service/broken.go", "package service\n\nfunc {")
		},
			"internal/service does not parse, so the new handler's names cannot be checked against it"},
		{"invalid options", Handler{Name: "a", Topic: "t", Batch: true, Ordering: "key"}, nil, "--batch with --ordering key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := scaffoldtest.Tree(t, dir)
			p, err := plan(t, dir, tt.h, known)
			if err == nil || !strings.Contains(err.Error(), tt.why) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("planned %v, %v; want one line saying %q", p, err, tt.why)
			}
			sameTree(t, dir, before)
		})
	}
	// The external test package's TestRegistry is its own: no collision
	// with the new handler's test of that name.
	if _, err := plan(t, fixture(t), Handler{Name: "registry", Topic: "new"}, known); err != nil {
		t.Fatal(err)
	}
}

// TestPlanHandlerPlansEveryChangeAndWritesNone: the plan creates the
// handler's file and test, edits handlers.go, each file calling
// NewHandlers (in the package and in its external test package), and the
// configuration file; Diff shows each as a unified diff; nothing is
// written.
func TestPlanHandlerPlansEveryChangeAndWritesNone(t *testing.T) {
	dir := fixture(t)
	before := scaffoldtest.Tree(t, dir)
	p, err := plan(t, dir, Handler{Name: "payment-audit", Topic: "payments"}, Registered{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	created := map[string]bool{}
	for _, c := range p.Changes {
		paths = append(paths, c.Path)
		created[c.Path] = c.Old == nil
	}
	want := []string{"internal/service/payment_audit.go", "internal/service/payment_audit_test.go", HandlersFile,
		"internal/service/external_test.go", "internal/service/handlers_test.go", ConfigFile}
	if !slices.Equal(paths, want) || !created[want[0]] || !created[want[1]] || created[HandlersFile] || created[ConfigFile] {
		t.Fatalf("changes %v (created: %v), want %v, the first two created", paths, created, want)
	}
	var diff bytes.Buffer
	if err := p.Diff(&diff); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"--- /dev/null\n+++ b/internal/service/payment_audit.go\n@@ -0,0 +1,",
		"+const PaymentAuditName = \"payment-audit\"\n",
		"--- a/internal/service/handlers.go\n+++ b/internal/service/handlers.go\n",
		"+\tNewPaymentAudit,\n \tNewHandlers,\n",
		"-func NewHandlers() (*registry.Registry, error) {\n-\treturn registry.New()\n+func NewHandlers(paymentAudit *PaymentAudit) (*registry.Registry, error) {\n+\treturn registry.New(\n+\t\tpaymentAudit.Registration(),\n+\t)\n",
		"-\tif _, err := NewHandlers(); err != nil {\n+\tif _, err := NewHandlers(NewPaymentAudit()); err != nil {\n",
		" \t\t// every handler\n+\t\tsvc.NewPaymentAudit(),\n",
		"   # A handler's registered subscription can be overridden here per\n   # environment.\n+  subscriptions:\n+    # payment-audit: the subscription its Registration declares\n",
		"+    - topic: payments\n+      handler: payment-audit\n",
		"then: go tool wire gen . (regenerates wire_gen.go)\n",
	} {
		if !strings.Contains(diff.String(), w) {
			t.Errorf("the diff does not show\n%s\nin\n%s", w, diff.String())
		}
	}
	sameTree(t, dir, before)
}
