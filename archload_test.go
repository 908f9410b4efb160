package consumerkit

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

const module = "github.com/consumerkit/consumerkit"

// srcFile is one non-test Go file of the module, parsed and type-checked,
// so rules can ask what an identifier refers to instead of how it is
// spelled (an aliased or dot import names the same object).
type srcFile struct {
	dir  string // package directory relative to the module root, "." for the root
	path string
	file *ast.File
	info *types.Info
	fset *token.FileSet
}

// loadSources type-checks every package of the module without its tests,
// plus the root package under the wireinject tag so the injector template
// (wire.go) is checked too. A package that does not load fails the test:
// a rule that silently skips a file proves nothing.
func loadSources(t *testing.T) []srcFile {
	t.Helper()
	mode := packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports
	var files []srcFile
	seen := map[string]bool{}
	for _, load := range []struct {
		tags     []string
		patterns []string
	}{
		{nil, []string{"./..."}},
		{[]string{"-tags=wireinject"}, []string{"."}},
	} {
		pkgs, err := packages.Load(&packages.Config{Mode: mode, BuildFlags: load.tags}, load.patterns...)
		if err != nil {
			t.Fatalf("load %v: %v", load.patterns, err)
		}
		for _, p := range pkgs {
			for _, e := range p.Errors {
				t.Fatalf("package %s: %v", p.PkgPath, e)
			}
			dir := strings.TrimPrefix(strings.TrimPrefix(p.PkgPath, module), "/")
			if dir == "" {
				dir = "."
			}
			for _, f := range p.Syntax {
				path := p.Fset.Position(f.Pos()).Filename
				if seen[path] {
					continue
				}
				seen[path] = true
				files = append(files, srcFile{dir: dir, path: path, file: f, info: p.TypesInfo, fset: p.Fset})
			}
		}
	}
	if len(files) < 20 {
		t.Fatalf("found only %d source files; is the test running at the module root?", len(files))
	}
	return files
}

// pos names a node's position for a report.
func (f srcFile) pos(n ast.Node) string { return f.fset.Position(n.Pos()).String() }

// objectName is the full name of what an identifier refers to: a function
// or method as types.Func.FullName gives it ("(*sync.WaitGroup).Go"), a
// package-level object as "path.Name", anything else "".
func objectName(obj types.Object) string {
	switch o := obj.(type) {
	case *types.Func:
		return o.Origin().FullName()
	case *types.Var, *types.Const, *types.TypeName:
		if o.Pkg() != nil && o.Parent() == o.Pkg().Scope() {
			return o.Pkg().Path() + "." + o.Name()
		}
	}
	return ""
}
