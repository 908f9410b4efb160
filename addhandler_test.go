package consumerkit

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// paymentAuditor is the new handler file of the README's "Adding a
// handler": the handler, its constructor and its Registration.
const paymentAuditor = `package service

import (
	"context"
	"errors"

	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// PaymentAuditor checks payments.
type PaymentAuditor struct{}

// NewPaymentAuditor builds the handler from the singletons it needs.
func NewPaymentAuditor() *PaymentAuditor { return &PaymentAuditor{} }

// Registration declares it: a per-message handler of topic payments, a
// payer's payments (the key) in order, 4 workers per partition.
func (a *PaymentAuditor) Registration() registry.Registration {
	return registry.Handler("payment-auditor", a,
		registry.Subscription{Topic: "payments", Ordering: registry.OrderingKey, Workers: 4})
}

// Handle implements message.Handler: an empty payment is refused for good.
func (a *PaymentAuditor) Handle(_ context.Context, m *message.Message) error {
	if len(m.Value) == 0 {
		return message.Permanent(errors.New("empty payment"))
	}
	return nil
}
`

// paymentsConfig is its configuration entry: the registered subscription
// overridden for this environment, with dead letters.
const paymentsConfig = `kafka:
  subscriptions:
    - topic: payments
      handler: payment-auditor
      ordering: key
      workers: 8
      dead_letter: {enabled: true}
`

// TestAddingAHandlerFollowsTheReadme follows the README's "Adding a
// handler" in a copy of the module: a new file with the handler and its
// Registration, its constructor added to the Handlers set and its
// Registration to NewHandlers (internal/service/handlers.go), its
// configuration entry, `make generate`. The built binary, on the embedded
// broker, creates the handler's topics (its dead-letter topic comes from
// the configuration entry) and consumes what is produced to its topic:
// every good payment a success, the empty one dead-lettered.
func TestAddingAHandlerFollowsTheReadme(t *testing.T) {
	dir := copyRepo(t)
	if err := os.WriteFile(filepath.Join(dir, "internal/service/payments.go"), []byte(paymentAuditor), 0o644); err != nil {
		t.Fatal(err)
	}
	registerHandler(t, filepath.Join(dir, "internal/service/handlers.go"), "NewPaymentAuditor", "payments", "PaymentAuditor")
	cfgFile := filepath.Join(dir, "payments.yaml")
	if err := os.WriteFile(cfgFile, []byte(paymentsConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	runIn(t, dir, "make", "generate")
	bin := buildConsumer(t, dir, filepath.Join(dir, "bin"))

	r := startBinary(t, bin, "run", "--config", cfgFile, "--admin-addr", "127.0.0.1:0", "--log-level", "info")
	broker := r.waitLog("embedded broker started (in process; data is lost on exit)")
	var topics []string
	for _, v := range broker["topics"].([]any) {
		topics = append(topics, v.(string))
	}
	if !slices.Contains(topics, "payments") || !slices.Contains(topics, "payments.dlq") {
		t.Fatalf("the embedded broker created %v: want the new handler's payments and payments.dlq", topics)
	}
	base := r.ready()
	addr := broker["addrs"].([]any)[0].(string)

	const good = 50
	msgs := []kafkago.Message{{Key: []byte("payer-0")}} // empty: dead-lettered
	for i := range good {
		msgs = append(msgs, kafkago.Message{Key: fmt.Appendf(nil, "payer-%d", i%7), Value: fmt.Appendf(nil, `{"cents":%d}`, i+1)})
	}
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafkago.Writer{Addr: kafkago.TCP(addr), Topic: "payments", RequiredAcks: kafkago.RequireAll, BatchTimeout: 5 * time.Millisecond, Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), consumertest.Patience)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("produce to payments: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	outcome := func(o string) float64 {
		return consumertest.CounterValue(t, consumertest.Scrape(t, base+"/metrics"), "kafka_consumer_messages_total",
			map[string]string{"topic": "payments", "handler": "payment-auditor", "outcome": o})
	}
	consumertest.Eventually(t, "every payment's outcome", func() bool { return outcome("success") == good && outcome("dead_lettered") == 1 })
	if code := r.terminate(); code != 0 {
		t.Fatalf("exit %d after SIGTERM\nstderr:\n%s", code, r.stderr.String())
	}
}

// registerHandler makes the README's edit of handlers.go: constructor
// joins the Handlers set, NewHandlers takes the handler as param (of type
// *typ) and lists param.Registration() in its registry.New call.
func registerHandler(t *testing.T, path, constructor, param, typ string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	edits := 0
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			if len(n.Names) == 1 && n.Names[0].Name == "Handlers" {
				set := n.Values[0].(*ast.CallExpr)
				set.Args = append(set.Args[:len(set.Args)-1], ast.NewIdent(constructor), set.Args[len(set.Args)-1])
				edits++
			}
		case *ast.FuncDecl:
			if n.Name.Name != "NewHandlers" {
				return false
			}
			n.Type.Params.List = append(n.Type.Params.List, &ast.Field{
				Names: []*ast.Ident{ast.NewIdent(param)}, Type: &ast.StarExpr{X: ast.NewIdent(typ)}})
			edits++
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "New" && fmt.Sprint(sel.X) == "registry" {
				n.Args = append(n.Args, &ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent(param), Sel: ast.NewIdent("Registration")}})
				edits++
			}
		}
		return true
	})
	if edits != 3 {
		t.Fatalf("%s: made %d of the 3 edits (Handlers set, NewHandlers' parameters, registry.New): its shape changed", path, edits)
	}
	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		t.Fatal(err)
	}
	src, err := format.Source(out.Bytes())
	if err != nil {
		t.Fatalf("edited %s does not format: %v\n%s", path, err, out.Bytes())
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
}
