package scaffold

import (
	"strings"
)

// renaming is what changes from the source service to the new one: its
// module path (the framework's packages, under FrameworkModule/pkg, keep
// theirs), its name in the manifests and its root package's name.
type renaming struct {
	oldModule, newModule string
	oldName, newName     string
	oldPkg, newPkg       string
}

// importPath is the path the new service imports for p: the source's own
// packages move to the new module, every other path (the framework's
// packages among them) stays.
func (r renaming) importPath(p string) string {
	if rest, ok := strings.CutPrefix(p, r.oldModule); ok && (rest == "" || rest[0] == '/') && !frameworkPackage(p, r.oldModule) {
		return r.newModule + rest
	}
	return p
}

// text rewrites non-Go text (manifests, dashboards, scripts, the string
// literals of Go files): the source's module path becomes the new one
// except where it names a framework package, and the service's name
// becomes the new name wherever it is a word of its own (not inside a
// module path: github.com/consumerkit/consumerkit/pkg/... stays).
func (r renaming) text(s string) string { return r.replace(s, false) }

// comment rewrites a Go comment like text, and also the root package's
// name where a comment names it: "Package consumerkit" and
// "consumerkit.InitializeApp".
func (r renaming) comment(s string) string { return r.replace(s, true) }

// replace is one pass over s, so that nothing it writes is rewritten
// again (the new module path or name may contain the old name).
func (r renaming) replace(s string, goComment bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, r.oldModule) && !pathChar(at(s, i+len(r.oldModule))):
			if frameworkPackage(rest, r.oldModule) {
				b.WriteString(r.oldModule)
			} else {
				b.WriteString(r.newModule)
			}
			i += len(r.oldModule)
		case strings.HasPrefix(rest, FrameworkModule) && !pathChar(at(s, i+len(FrameworkModule))):
			b.WriteString(FrameworkModule) // the framework's path, in a service that is not the framework
			i += len(FrameworkModule)
		case goComment && wordAt(s, i, r.oldPkg) && at(s, i+len(r.oldPkg)) == '.' && upper(at(s, i+len(r.oldPkg)+1)):
			b.WriteString(r.newPkg)
			i += len(r.oldPkg)
		case goComment && strings.HasPrefix(rest, "Package ") && wordAt(s, i+len("Package "), r.oldPkg):
			b.WriteString("Package " + r.newPkg)
			i += len("Package ") + len(r.oldPkg)
		case wordAt(s, i, r.oldName):
			b.WriteString(r.newName)
			i += len(r.oldName)
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// frameworkPackage reports whether rest, which starts with the module path
// m, names one of the framework's packages: m is the framework and /pkg
// follows as a whole path element.
func frameworkPackage(rest, m string) bool {
	if m != FrameworkModule {
		return false
	}
	after, ok := strings.CutPrefix(rest[len(m):], "/pkg")
	return ok && (after == "" || !pathChar(after[0]))
}

// wordAt reports whether word starts at s[i] and is a word of its own: no
// letter or digit right before or after it.
func wordAt(s string, i int, word string) bool {
	return word != "" && strings.HasPrefix(s[i:], word) && !alnum(at(s, i-1)) && !alnum(at(s, i+len(word)))
}

// at is s[i], or 0 outside s.
func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }

// pathChar reports whether c can continue a module path element, so that
// a module path followed by it is a longer path, not this one.
func pathChar(c byte) bool { return alnum(c) || c == '-' || c == '_' || c == '~' }
