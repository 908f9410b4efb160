package consumerkit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/consumerkit/consumerkit"

// pkgFile is one non-test Go file of the module, parsed.
type pkgFile struct {
	dir     string // relative to the module root, "." for the root
	path    string
	file    *ast.File
	imports []string
}

func sourceFiles(t *testing.T) []pkgFile {
	t.Helper()
	var files []pkgFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pf := pkgFile{dir: filepath.Dir(path), path: path, file: f}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			pf.imports = append(pf.imports, p)
		}
		files = append(files, pf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d source files; is the test running at the module root?", len(files))
	}
	return files
}

func isStdlib(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}

// TestImportRules enforces DESIGN.md's import rules, which keep the
// architecture visible: lifecycle and message depend on nothing; only the
// engine speaks Kafka; handlers, caches and the admin server never import
// the engine; only the injector and the command know the app.
func TestImportRules(t *testing.T) {
	for _, f := range sourceFiles(t) {
		for _, imp := range f.imports {
			switch {
			case (f.dir == "internal/lifecycle" || f.dir == "internal/message") && !isStdlib(imp):
				t.Errorf("%s imports %s: lifecycle and message import only the standard library", f.path, imp)
			case (strings.HasPrefix(imp, "github.com/segmentio/kafka-go") || strings.HasPrefix(imp, "github.com/twmb/franz-go")) && f.dir != "internal/kafka":
				t.Errorf("%s imports %s: only internal/kafka speaks Kafka", f.path, imp)
			case imp == module+"/internal/kafka" && (strings.HasPrefix(f.dir, "internal/service") || strings.HasPrefix(f.dir, "internal/cache") || strings.HasPrefix(f.dir, "internal/admin") || strings.HasPrefix(f.dir, "internal/watchdog")):
				t.Errorf("%s imports the engine: service, cache, admin and watchdog must stay testable without a broker", f.path)
			case imp == module+"/internal/app" && f.dir != "." && f.dir != "cmd/consumer":
				t.Errorf("%s imports internal/app: only the injector and cmd/consumer may", f.path)
			case strings.HasPrefix(imp, module+"/cmd"):
				t.Errorf("%s imports a command", f.path)
			case imp == module && f.dir != "cmd/consumer":
				t.Errorf("%s imports the injector package: only cmd/consumer may", f.path)
			}
		}
		if base := filepath.Base(f.dir); base == "util" || base == "utils" || base == "common" {
			t.Errorf("%s: no util/common packages", f.dir)
		}
	}
}

// TestGoroutineAndRegistryRules: goroutines are started only by the
// lifecycle group and the engine (which owns its per-partition workers);
// no init() registration; no global Prometheus registry.
func TestGoroutineAndRegistryRules(t *testing.T) {
	for _, f := range sourceFiles(t) {
		ast.Inspect(f.file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				if f.dir != "internal/lifecycle" && f.dir != "internal/kafka" {
					t.Errorf("%s: go statement outside lifecycle and the engine; use lifecycle.Group.Go", f.path)
				}
			case *ast.FuncDecl:
				if n.Name.Name == "init" && n.Recv == nil {
					t.Errorf("%s: init() registration is not allowed", f.path)
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && (x.Name == "prometheus" && (n.Sel.Name == "MustRegister" || n.Sel.Name == "DefaultRegisterer" || n.Sel.Name == "Register") || x.Name == "promauto") {
					t.Errorf("%s: %s.%s uses the global registry; register on the injected one", f.path, x.Name, n.Sel.Name)
				}
			}
			return true
		})
	}
}
