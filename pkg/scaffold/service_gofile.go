package scaffold

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"strconv"
	"strings"
)

// goFile is one parsed Go file of the source.
type goFile struct {
	rel  string
	fset *token.FileSet
	file *ast.File
}

// parseGoFile parses f with its comments.
func parseGoFile(f sourceFile) (*goFile, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, f.rel, f.data, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", f.rel, err)
	}
	return &goFile{rel: f.rel, fset: fset, file: file}, nil
}

// rootImport is the import of the module's root package (the injector),
// when the file has one.
func (g *goFile) rootImport(module string) *ast.ImportSpec {
	for _, spec := range g.file.Imports {
		if p, err := strconv.Unquote(spec.Path.Value); err == nil && p == module {
			return spec
		}
	}
	return nil
}

// importNames are the names the file's imports are known by (an explicit
// name, or the last element of the path: close enough to find a clash).
func (g *goFile) importNames() []string {
	var names []string
	for _, spec := range g.file.Imports {
		if spec.Name != nil {
			names = append(names, spec.Name.Name)
			continue
		}
		p, _ := strconv.Unquote(spec.Path.Value)
		names = append(names, path.Base(p))
	}
	return names
}

// rewrite applies r to the file and prints it with go/format: import
// paths of the source's own packages move to the new module (the
// framework's stay); the root package's clause, and the references to it
// in files that import it, take the new package name; string literals and
// comments are rewritten as text (see renaming.text).
func (g *goFile) rewrite(r renaming) ([]byte, error) {
	if !strings.Contains(g.rel, "/") {
		switch g.file.Name.Name {
		case r.oldPkg:
			g.file.Name.Name = r.newPkg
		case r.oldPkg + "_test":
			g.file.Name.Name = r.newPkg + "_test"
		}
	}
	if spec := g.rootImport(r.oldModule); spec != nil && spec.Name == nil {
		// References to the root package are selectors on an identifier
		// the parser could not resolve in the file: the import's name.
		ast.Inspect(g.file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == r.oldPkg && id.Obj == nil {
					id.Name = r.newPkg
				}
			}
			return true
		})
	}
	for _, spec := range g.file.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: import %s: %w", g.rel, spec.Path.Value, err)
		}
		spec.Path.Value = strconv.Quote(r.importPath(p))
	}
	imports := map[*ast.BasicLit]bool{}
	for _, spec := range g.file.Imports {
		imports[spec.Path] = true
	}
	ast.Inspect(g.file, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && !imports[lit] {
			// Neither the module paths nor the names written in hold a
			// quote or a backslash, so the literal stays well-formed.
			lit.Value = r.text(lit.Value)
		}
		return true
	})
	for _, group := range g.file.Comments {
		for _, c := range group.List {
			c.Text = r.comment(c.Text)
		}
	}
	var out bytes.Buffer
	if err := format.Node(&out, g.fset, g.file); err != nil {
		return nil, fmt.Errorf("print %s: %w", g.rel, err)
	}
	// Paths of another length than before can leave the printer's
	// alignment off; a second pass formats the file as gofmt would.
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", g.rel, err)
	}
	return src, nil
}
