package scaffold

import (
	"strings"
	"testing"
)

// registerAll registers each handler name in src, in turn.
func registerAll(t *testing.T, src string, names ...string) string {
	t.Helper()
	for _, name := range names {
		n, err := NamesOf(name)
		if err != nil {
			t.Fatal(err)
		}
		h, err := parseHandlers([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.register(n)
		if err != nil {
			t.Fatal(err)
		}
		src = string(out)
	}
	return src
}

// TestRegisterEditsTheThreePlacesOneEntryPerLine: the constructor joins
// the Handlers set before NewHandlers, the handler becomes a parameter of
// NewHandlers and its Registration() an argument of registry.New; each
// list one entry per line, as people write them.
func TestRegisterEditsTheThreePlacesOneEntryPerLine(t *testing.T) {
	const empty = `package service

import (
	"github.com/google/wire"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Handlers is the registration point.
var Handlers = wire.NewSet(
	NewHandlers,
)

// NewHandlers collects the registrations.
func NewHandlers() (*registry.Registry, error) {
	return registry.New()
}
`
	const want = `package service

import (
	"github.com/google/wire"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Handlers is the registration point.
var Handlers = wire.NewSet(
	NewPaymentAudit,
	NewIDMapper,
	NewHandlers,
)

// NewHandlers collects the registrations.
func NewHandlers(paymentAudit *PaymentAudit, idMapper *IDMapper) (*registry.Registry, error) {
	return registry.New(
		paymentAudit.Registration(),
		idMapper.Registration(),
	)
}
`
	if got := registerAll(t, empty, "payment-audit", "id-mapper"); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestRegisterKeepsCommentsAndAvoidsNamesInUse: an aliased registry
// import, one-line lists, comments inside them, parameters that take the
// handler's natural parameter name (and one named like an import): the
// comments stay where they were, the lists are laid out one entry per
// line, a long signature breaks its parameters, and a parameter name in
// use gets "Handler" appended.
func TestRegisterKeepsCommentsAndAvoidsNamesInUse(t *testing.T) {
	const src = `package service

import (
	"github.com/google/wire"

	reg "github.com/consumerkit/consumerkit/pkg/registry"
)

var Handlers = wire.NewSet(NewOrders, NewHandlers) // the set

// NewHandlers collects the registrations.
func NewHandlers(cfg Config, orders *Orders) (*reg.Registry, error) {
	// one registry for all
	return reg.New(orders.Registration(cfg)) // the call
}
`
	const want = `package service

import (
	"github.com/google/wire"

	reg "github.com/consumerkit/consumerkit/pkg/registry"
)

var Handlers = wire.NewSet(
	NewOrders,
	NewCfg,
	NewWire,
	NewReg,
	NewHandlers,
) // the set

// NewHandlers collects the registrations.
func NewHandlers(
	cfg Config,
	orders *Orders,
	cfgHandler *Cfg,
	wireHandler *Wire,
	regHandler *Reg,
) (*reg.Registry, error) {
	// one registry for all
	return reg.New(
		orders.Registration(cfg),
		cfgHandler.Registration(),
		wireHandler.Registration(),
		regHandler.Registration(),
	) // the call
}
`
	if got := registerAll(t, src, "cfg", "wire", "reg"); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRegisterAvoidsKeywordsAndPredeclaredNames(t *testing.T) {
	const src = `package service

var Handlers = wire.NewSet(NewHandlers)

func NewHandlers() (*registry.Registry, error) { return registry.New() }
`
	got := registerAll(t, src, "type", "string", "string-handler")
	for _, p := range []string{"typeHandler *Type", "stringHandler *String", "stringHandlerHandler *StringHandler"} {
		if !strings.Contains(got, p) {
			t.Errorf("no parameter %q in\n%s", p, got)
		}
	}
}
