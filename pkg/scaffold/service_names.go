package scaffold

import (
	"fmt"
	"go/token"
	"regexp"
	"strings"

	"golang.org/x/mod/module"
)

// FrameworkModule is the module path of the framework: a new service
// requires it, imports its packages (under /pkg) and copies none of them.
const FrameworkModule = "github.com/consumerkit/consumerkit"

// dnsLabel is a Kubernetes object name usable everywhere the manifests put
// the service's name (RFC 1123 label: names, label values, the ConfigMap
// and Secret names built from it).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// serviceNameFromModule is the default service name of module path m: its
// last element (before a /vN suffix), lower-cased, with the characters a
// Kubernetes name cannot hold ('.', '_', '~') turned into '-'. For
// github.com/acme/payments-consumer it is payments-consumer.
func serviceNameFromModule(m string) string {
	prefix, _, ok := module.SplitPathVersion(m)
	if !ok {
		prefix = m
	}
	last := prefix[strings.LastIndex(prefix, "/")+1:]
	name := strings.Map(func(r rune) rune {
		switch {
		case r == '.' || r == '_' || r == '~':
			return '-'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, last)
	return strings.Trim(name, "-")
}

// checkServiceName refuses a name the manifests cannot carry.
func checkServiceName(name string) error {
	if len(name) > 63 || !dnsLabel.MatchString(name) {
		return fmt.Errorf("service name %q is not a Kubernetes name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters): pass --name", name)
	}
	return nil
}

// packageNameFor is the Go package name of the new service's root package
// (the injector): the service name (checked by checkServiceName) without
// its '-' (paymentsconsumer), "service" put before it when it starts with
// a digit, and "svc" after it when it is a keyword, a predeclared
// identifier, a name no imported package may have (main, init) or the name
// of a package that the files importing the root package import too (taken
// lists those), so that no file has two packages of one name.
func packageNameFor(serviceName string, taken map[string]bool) string {
	// A checked service name leaves lower-case letters and digits.
	name := strings.ReplaceAll(serviceName, "-", "")
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "service" + name
	}
	if token.IsKeyword(name) || predeclared[name] || taken[name] {
		name += "svc"
	}
	return name
}

// predeclared are Go's predeclared identifiers, which a package name would
// shadow in the files that import it, and the two names an imported
// package cannot have.
var predeclared = map[string]bool{
	"any": true, "append": true, "bool": true, "byte": true, "cap": true, "clear": true, "close": true,
	"comparable": true, "complex": true, "complex64": true, "complex128": true, "copy": true, "delete": true,
	"error": true, "false": true, "float32": true, "float64": true, "imag": true, "int": true, "int8": true,
	"int16": true, "int32": true, "int64": true, "iota": true, "len": true, "make": true, "max": true, "min": true,
	"new": true, "nil": true, "panic": true, "print": true, "println": true, "real": true, "recover": true,
	"rune": true, "string": true, "true": true, "uint": true, "uint8": true, "uint16": true, "uint32": true,
	"uint64": true, "uintptr": true, "main": true, "init": true,
}
