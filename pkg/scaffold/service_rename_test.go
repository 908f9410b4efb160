package scaffold

import (
	"strings"
	"testing"
)

func TestServiceNameAndPackageFollowTheModulePath(t *testing.T) {
	for _, tt := range []struct {
		module, name, pkg string
		taken             []string
	}{
		{"github.com/acme/payments-consumer", "payments-consumer", "paymentsconsumer", nil},
		{"github.com/acme/payments-consumer/v2", "payments-consumer", "paymentsconsumer", nil},
		{"example.com/Billing_Events.svc", "billing-events-svc", "billingeventssvc", nil},
		{"example.com/2fa", "2fa", "service2fa", nil},
		{"example.com/acme/kafka", "kafka", "kafkasvc", []string{"config", "kafka"}},
		{"example.com/acme/string", "string", "stringsvc", nil},
		{"example.com/acme/go", "go", "gosvc", nil},
	} {
		name := serviceNameFromModule(tt.module)
		if name != tt.name {
			t.Errorf("%s: name %q, want %q", tt.module, name, tt.name)
		}
		taken := map[string]bool{}
		for _, n := range tt.taken {
			taken[n] = true
		}
		if pkg := packageNameFor(name, taken); pkg != tt.pkg {
			t.Errorf("%s: package %q, want %q", tt.module, pkg, tt.pkg)
		}
	}
	for _, bad := range []string{"", "-x", "x-", "Payments", "a.b", strings.Repeat("a", 64)} {
		if checkServiceName(bad) == nil {
			t.Errorf("service name %q accepted", bad)
		}
	}
	if err := checkServiceName(strings.Repeat("a", 63)); err != nil {
		t.Errorf("a 63-character name refused: %v", err)
	}
}

func frameworkRenaming() renaming {
	return renaming{
		oldModule: FrameworkModule, newModule: "github.com/acme/consumerkit-payments",
		oldName: "consumerkit", newName: "consumerkit-payments",
		oldPkg: "consumerkit", newPkg: "consumerkitpayments",
	}
}

// TestRenamingMovesTheServiceAndKeepsTheFramework: the new module and
// name contain the old name, so a second pass over what was written would
// show (consumerkit-payments-payments).
func TestRenamingMovesTheServiceAndKeepsTheFramework(t *testing.T) {
	r := frameworkRenaming()
	for _, tt := range []struct{ in, text, comment string }{
		{"name: consumerkit-config", "name: consumerkit-payments-config", ""},
		{"/etc/consumerkit/config.yaml", "/etc/consumerkit-payments/config.yaml", ""},
		{`"uid": "consumerkit-overview"`, `"uid": "consumerkit-payments-overview"`, ""},
		{"consumerkits consumerkit2 CONSUMERKIT", "consumerkits consumerkit2 CONSUMERKIT", ""},
		{"github.com/consumerkit/consumerkit/pkg/registry", "github.com/consumerkit/consumerkit/pkg/registry", ""},
		{"github.com/consumerkit/consumerkit/pkg", "github.com/consumerkit/consumerkit/pkg", ""},
		{"github.com/consumerkit/consumerkit/pkgs/x", "github.com/acme/consumerkit-payments/pkgs/x", ""},
		{"github.com/consumerkit/consumerkit/internal/app", "github.com/acme/consumerkit-payments/internal/app", ""},
		{"github.com/consumerkit/consumerkit.InitializeApp", "github.com/acme/consumerkit-payments.InitializeApp", ""},
		{"github.com/consumerkit/consumerkit", "github.com/acme/consumerkit-payments", ""},
		{"Package consumerkit holds the injector.", "Package consumerkit-payments holds the injector.",
			"Package consumerkitpayments holds the injector."},
		{"(see consumerkit.ServiceSettings), a consumerkit service", "(see consumerkit-payments.ServiceSettings), a consumerkit-payments service",
			"(see consumerkitpayments.ServiceSettings), a consumerkit-payments service"},
	} {
		if got := r.text(tt.in); got != tt.text {
			t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.text)
		}
		want := tt.comment
		if want == "" {
			want = tt.text
		}
		if got := r.comment(tt.in); got != want {
			t.Errorf("comment(%q) = %q, want %q", tt.in, got, want)
		}
	}
	for in, want := range map[string]string{
		"github.com/consumerkit/consumerkit":              "github.com/acme/consumerkit-payments",
		"github.com/consumerkit/consumerkit/internal/app": "github.com/acme/consumerkit-payments/internal/app",
		"github.com/consumerkit/consumerkit/pkg/kafka":    "github.com/consumerkit/consumerkit/pkg/kafka",
		"github.com/consumerkit/consumerkit2/x":           "github.com/consumerkit/consumerkit2/x",
		"example.com/consumerkit/tools":                   "example.com/consumerkit/tools",
	} {
		if got := r.importPath(in); got != want {
			t.Errorf("importPath(%q) = %q, want %q", in, got, want)
		}
	}
}

const commandSource = `// Command consumer runs a consumerkit service.
package main

import (
	"fmt"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/internal/service"
	"github.com/consumerkit/consumerkit/pkg/config"
)

// main loads consumerkit.ServiceSettings.
func main() {
	svc := consumerkit.ServiceSettings()
	fmt.Println(svc, config.Default(), service.Name, "consumerkit-admin", ` + "`/etc/consumerkit`" + `)
	shadow()
}

func shadow() {
	type pkg struct{ ServiceSettings int }
	consumerkit := pkg{}
	fmt.Println(consumerkit.ServiceSettings)
}
`

const commandWant = `// Command consumer runs a consumerkit-payments service.
package main

import (
	"fmt"

	"github.com/acme/consumerkit-payments"
	"github.com/acme/consumerkit-payments/internal/service"
	"github.com/consumerkit/consumerkit/pkg/config"
)

// main loads consumerkitpayments.ServiceSettings.
func main() {
	svc := consumerkitpayments.ServiceSettings()
	fmt.Println(svc, config.Default(), service.Name, "consumerkit-payments-admin", ` + "`/etc/consumerkit-payments`" + `)
	shadow()
}

func shadow() {
	type pkg struct{ ServiceSettings int }
	consumerkit := pkg{}
	fmt.Println(consumerkit.ServiceSettings)
}
`

// TestGoFileRewriteRenamesTheRootPackageWhereverItIsUsed: import paths,
// the references to the root package (not a local variable of its
// name), literals and comments; the result is gofmt'd.
func TestGoFileRewriteRenamesTheRootPackageWhereverItIsUsed(t *testing.T) {
	r := frameworkRenaming()
	for _, tt := range []struct{ rel, in, want string }{
		{"cmd/consumer/main.go", commandSource, commandWant},
		{"doc.go", "// Package consumerkit holds the injector.\npackage consumerkit\n",
			"// Package consumerkitpayments holds the injector.\npackage consumerkitpayments\n"},
		{"app_test.go", "package consumerkit_test\n", "package consumerkitpayments_test\n"},
		// Only the root directory's package is the root package.
		{"internal/consumerkit/x.go", "package consumerkit\n", "package consumerkit\n"},
	} {
		g, err := parseGoFile(sourceFile{rel: tt.rel, data: []byte(tt.in)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.rewrite(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.rel, got, tt.want)
		}
	}
}
