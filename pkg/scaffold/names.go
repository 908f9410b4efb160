package scaffold

import (
	"fmt"
	"go/build"
	"go/token"
	"io"
	"strings"
)

// Names are the identifiers and files a handler's kebab-case name gives,
// for payment-audit: PaymentAudit, NewPaymentAudit, PaymentAuditName,
// PaymentAuditEvent, the parameter paymentAudit, payment_audit.go and
// payment_audit_test.go.
type Names struct {
	// Name is the handler's name, as subscriptions and metrics say it.
	Name string
	// Type is the handler's exported type.
	Type string
	// Constructor builds the handler from its singletons.
	Constructor string
	// Const holds Name.
	Const string
	// Event is the type a message's JSON value decodes into.
	Event string
	// Param is the handler's parameter of NewHandlers, before any
	// renaming to avoid a name NewHandlers already uses (see register.go).
	Param string
	// File and TestFile are the handler's files in internal/service.
	File, TestFile string
}

// NamesOf returns the names of the handler called name, or an error saying
// why name cannot be one: it must be kebab-case (payment-audit), and its
// file must be an ordinary Go file (not audit_linux.go, which only builds
// on Linux, nor audit_test.go, a test).
func NamesOf(name string) (Names, error) {
	if !kebab(name) {
		return Names{}, fmt.Errorf("handler name %q: must be kebab-case, lower-case letters and digits starting with a letter (payment-audit)", name)
	}
	words := strings.Split(name, "-")
	upper := make([]string, len(words))
	for i, w := range words {
		upper[i] = exported(w)
	}
	typ := strings.Join(upper, "")
	base := strings.Join(words, "_")
	n := Names{
		Name:        name,
		Type:        typ,
		Constructor: "New" + typ,
		Const:       typ + "Name",
		Event:       typ + "Event",
		Param:       strings.ToLower(words[0]) + strings.Join(upper[1:], ""),
		File:        base + ".go",
		TestFile:    base + "_test.go",
	}
	if strings.HasSuffix(base, "_test") {
		return Names{}, fmt.Errorf("handler name %q: its file %s would be a test file", name, n.File)
	}
	if constrained(n.File) {
		return Names{}, fmt.Errorf("handler name %q: its file %s would build on one platform only (it ends in an operating system or architecture)", name, n.File)
	}
	for _, id := range []string{n.Type, n.Constructor, n.Const, n.Event} {
		if !token.IsIdentifier(id) {
			return Names{}, fmt.Errorf("handler name %q: %s is not a Go identifier", name, id)
		}
	}
	return n, nil
}

// exported is word as a part of an exported identifier: capitalised, or
// all upper-case if it is a common initialism (id → ID, as Go code
// writes it).
func exported(word string) string {
	if initialism(word) {
		return strings.ToUpper(word)
	}
	return strings.ToUpper(word[:1]) + word[1:]
}

// initialism reports whether word, lower-case, is one Go code writes in
// upper case (the list golint used).
func initialism(word string) bool {
	switch word {
	case "acl", "api", "ascii", "cpu", "css", "dns", "eof", "guid", "html", "http", "https", "id", "ip", "json",
		"qps", "ram", "rpc", "sla", "smtp", "sql", "ssh", "tcp", "tls", "ttl", "udp", "ui", "uid", "uuid", "uri",
		"url", "utf8", "vm", "xml", "xmpp", "xsrf", "xss":
		return true
	}
	return false
}

// constrained reports whether the go tool would build file only for some
// operating system or architecture, by its name (audit_linux.go,
// audit_arm64.go). It asks go/build with a context that matches none, so
// the list of known systems is the toolchain's own.
func constrained(file string) bool {
	none := build.Context{OpenFile: func(string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("package service\n")), nil
	}}
	ok, err := none.MatchFile(".", file)
	return err == nil && !ok
}

// kebab reports whether name is kebab-case: words of lower-case letters
// and digits joined by single hyphens, the first starting with a letter
// (^[a-z][a-z0-9]*(-[a-z0-9]+)*$).
func kebab(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, w := range strings.Split(name, "-") {
		if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}
