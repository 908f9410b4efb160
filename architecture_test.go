package consumerkit

import (
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func isStdlib(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}

// TestArchitecture checks the rules below on every non-test file of the
// module, type-checked once.
func TestArchitecture(t *testing.T) {
	files := loadSources(t)
	t.Run("imports", func(t *testing.T) { checkImports(t, files) })
	t.Run("goroutines and registry", func(t *testing.T) { checkGoroutinesAndRegistry(t, files) })
	t.Run("package state", func(t *testing.T) { checkPackageState(t, files) })
}

// checkImports enforces DESIGN.md's import rules, which keep the
// architecture visible and the example deletable: lifecycle and message
// depend on nothing; only the engine's packages speak Kafka; the
// framework (pkg/) never imports the service's internal packages; config
// and the framework never import the example; handlers, caches, the admin
// server and the watchdog never import the engine; only the injector and
// the command know the app.
func checkImports(t *testing.T, files []srcFile) {
	for _, f := range files {
		for _, spec := range f.file.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				t.Fatalf("%s: import %s: %v", f.path, spec.Path.Value, err)
			}
			if problem := importProblem(f.dir, imp); problem != "" {
				t.Errorf("%s imports %s: %s", f.path, imp, problem)
			}
		}
		if base := filepath.Base(f.dir); base == "util" || base == "utils" || base == "common" {
			t.Errorf("%s: no util/common packages", f.dir)
		}
	}
}

// within reports whether dir is pkg or one of its sub-packages.
func within(dir, pkg string) bool { return dir == pkg || strings.HasPrefix(dir, pkg+"/") }

// importProblem says why the package in dir may not import imp, or "".
func importProblem(dir, imp string) string {
	rel, ours := strings.CutPrefix(imp, module+"/")
	if imp == module {
		rel, ours = ".", true
	}
	kafkaClient := strings.HasPrefix(imp, "github.com/segmentio/kafka-go") || strings.HasPrefix(imp, "github.com/twmb/franz-go")
	switch {
	case (dir == "pkg/lifecycle" || dir == "pkg/message") && !isStdlib(imp):
		return "lifecycle and message import only the standard library"
	case kafkaClient && !within(dir, "pkg/kafka"):
		return "only the engine's packages (pkg/kafka/...) speak Kafka"
	case ours && within(dir, "pkg") && !within(rel, "pkg"):
		return "the framework (pkg/) never imports the service's packages, so other modules can use it"
	case ours && within(rel, "internal/service") && !(dir == "." || within(dir, "internal/service")):
		return "only the injector imports the example, so it can be deleted"
	case ours && within(rel, "pkg/kafka") && (within(dir, "internal/service") || within(dir, "internal/cache") || within(dir, "pkg/admin") || within(dir, "pkg/watchdog")):
		return "service, cache, admin and watchdog must stay testable without a broker"
	case ours && rel == "internal/app" && dir != "." && dir != "cmd/consumer":
		return "only the injector and cmd/consumer may import internal/app"
	case ours && within(rel, "cmd"):
		return "nothing imports a command"
	case ours && rel == "." && dir != "cmd/consumer":
		return "only cmd/consumer may import the injector package"
	}
	return ""
}

// goroutineStarters are the functions that start a goroutine running code
// the caller passes, by types.Func.FullName. (time.AfterFunc and
// context.AfterFunc are not among them: each runs its function once, and
// Stop cancels it, so nothing outlives its owner unseen.)
func goroutineStarters() map[string]bool {
	return map[string]bool{
		"(*sync.WaitGroup).Go":                      true,
		"(*golang.org/x/sync/errgroup.Group).Go":    true,
		"(*golang.org/x/sync/errgroup.Group).TryGo": true,
	}
}

// globalRegistry are the objects that register on, or serve, Prometheus's
// process-wide default registry; every name in promauto does too.
func globalRegistry() map[string]bool {
	const prom = "github.com/prometheus/client_golang/prometheus"
	return map[string]bool{
		prom + ".MustRegister":      true,
		prom + ".Register":          true,
		prom + ".Unregister":        true,
		prom + ".DefaultRegisterer": true,
		prom + ".DefaultGatherer":   true,
		prom + "/promhttp.Handler":  true,
	}
}

const promauto = "github.com/prometheus/client_golang/prometheus/promauto"

// checkGoroutinesAndRegistry: goroutines are started only by the
// lifecycle group, the engine (which owns its per-partition workers) and
// the engine's bounded close (conn.CloseWithin), the test kit's BlackHole,
// whether by a go statement or by a function that starts one
// (sync.WaitGroup.Go, errgroup); no init(); no global Prometheus
// registry. Calls are matched by the object they refer to, so an aliased
// or dot import, or a method value, is caught like a plain call.
func checkGoroutinesAndRegistry(t *testing.T, files []srcFile) {
	starters, global := goroutineStarters(), globalRegistry()
	for _, f := range files {
		// The engine owns its per-partition workers; conn.CloseWithin
		// runs a kafka-go Close that can hang on a goroutine it may
		// abandon, so a shutdown never waits on it; the test kit's
		// BlackHole serves connections until its test's cleanup, which
		// waits for them.
		mayStart := f.dir == "pkg/lifecycle" || f.dir == "pkg/kafka" || f.dir == "pkg/kafka/conn" || f.dir == "pkg/consumertest"
		ast.Inspect(f.file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				if !mayStart {
					t.Errorf("%s: go statement outside lifecycle and the engine; use lifecycle.Group.Go", f.pos(n))
				}
			case *ast.FuncDecl:
				if n.Name.Name == "init" && n.Recv == nil {
					t.Errorf("%s: init() registration is not allowed", f.pos(n))
				}
			case *ast.Ident:
				obj := f.info.Uses[n]
				if obj == nil {
					return true
				}
				name := objectName(obj)
				switch {
				case starters[name] && !mayStart:
					t.Errorf("%s: %s starts a goroutine outside lifecycle and the engine; use lifecycle.Group.Go", f.pos(n), name)
				case global[name] || (obj.Pkg() != nil && obj.Pkg().Path() == promauto && name != ""):
					t.Errorf("%s: %s uses the global Prometheus registry; register on the injected one", f.pos(n), name)
				}
			}
			return true
		})
	}
}

// checkPackageState: package-level variables are set where they
// are declared (or by the linker) and never written afterwards: no
// assignment, increment, address taken, pointer-method call, delete or
// clear on one. Shared state lives in values Wire builds, not in globals.
func checkPackageState(t *testing.T, files []srcFile) {
	// Known exceptions, each with why it is tolerated.
	exempt := map[string]string{}
	for _, f := range files {
		global := func(e ast.Expr) (string, bool) {
			for {
				switch x := e.(type) {
				case *ast.ParenExpr:
					e = x.X
				case *ast.SelectorExpr:
					if v, ok := f.info.Uses[x.Sel].(*types.Var); ok && !v.IsField() {
						e = x.Sel // a qualified identifier: pkg.Var
						continue
					}
					e = x.X
				case *ast.IndexExpr:
					e = x.X
				case *ast.StarExpr:
					e = x.X
				case *ast.Ident:
					v, ok := f.info.Uses[x].(*types.Var)
					if ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
						return objectName(v), true
					}
					return "", false
				default:
					return "", false
				}
			}
		}
		report := func(n ast.Node, e ast.Expr, how string) {
			if name, ok := global(e); ok && exempt[name] == "" {
				t.Errorf("%s: %s %s: package-level state must not change after initialisation", f.pos(n), how, name)
			}
		}
		ast.Inspect(f.file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if n.Tok != token.DEFINE {
					for _, lhs := range n.Lhs {
						report(n, lhs, "assigns")
					}
				}
			case *ast.IncDecStmt:
				report(n, n.X, "increments")
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					report(n, n.X, "takes the address of")
				}
			case *ast.CallExpr:
				if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && len(n.Args) > 0 {
					if b, ok := f.info.Uses[id].(*types.Builtin); ok && (b.Name() == "delete" || b.Name() == "clear") {
						report(n, n.Args[0], "calls "+b.Name()+" on")
					}
				}
			case *ast.SelectorExpr:
				sel, ok := f.info.Selections[n]
				if !ok || sel.Kind() != types.MethodVal {
					return true
				}
				if _, ptrRecv := sel.Obj().Type().(*types.Signature).Recv().Type().(*types.Pointer); ptrRecv && !isPointer(sel.Recv()) {
					report(n, n.X, "calls pointer method "+sel.Obj().Name()+" on")
				}
			}
			return true
		})
	}
}

func isPointer(t types.Type) bool {
	_, ok := t.Underlying().(*types.Pointer)
	return ok
}
