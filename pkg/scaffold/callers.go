package scaffold

import (
	"go/ast"
	"go/parser"
	"go/token"
)

// passHandler returns src, a file of the service package, with the new
// handler's constructor called as the last argument of every call of
// NewHandlers in it, so that code calling it directly (a test of the
// registrations, say) still compiles with its new parameter; and whether
// there was any such call. pkg is the package's name, servicePath its
// import path, by which an external test package calls it. The generated constructor
// takes nothing, so the call needs no arguments.
func passHandler(name string, src []byte, n Names, pkg, servicePath string) ([]byte, bool, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, false, err
	}
	qualifier := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"`+servicePath+`"` {
			qualifier = importName(f, servicePath)
		}
	}
	calls := callsOfNewHandlers(f, pkg, qualifier)
	if len(calls) == 0 {
		return src, false, nil
	}
	for _, c := range calls {
		var ctor ast.Expr = ast.NewIdent(n.Constructor)
		if _, qualified := c.Fun.(*ast.SelectorExpr); qualified {
			ctor = &ast.SelectorExpr{X: ast.NewIdent(qualifier), Sel: ast.NewIdent(n.Constructor)}
		}
		call := &ast.CallExpr{Fun: ctor}
		placeAt(c.Rparen, call)
		c.Args = append(c.Args, call)
	}
	edited, err := formatFile(name, fset, f)
	if err != nil {
		return nil, false, err
	}
	// A call laid out one argument per line stays so.
	fset = token.NewFileSet()
	if f, err = parser.ParseFile(fset, name, edited, parser.ParseComments|parser.SkipObjectResolution); err != nil {
		return nil, false, err
	}
	b := newLineBreaks(fset, f)
	for _, c := range callsOfNewHandlers(f, pkg, qualifier) {
		if b.multiline(c) {
			b.args(c)
		}
	}
	out, err := b.format(name)
	return out, true, err
}

// callsOfNewHandlers lists the calls of NewHandlers in f: unqualified in
// the package pkg itself, qualifier.NewHandlers where it is imported.
func callsOfNewHandlers(f *ast.File, pkg, qualifier string) []*ast.CallExpr {
	var calls []*ast.CallExpr
	ast.Inspect(f, func(node ast.Node) bool {
		c, ok := node.(*ast.CallExpr)
		if !ok {
			return true
		}
		switch fun := c.Fun.(type) {
		case *ast.Ident:
			if fun.Name == "NewHandlers" && f.Name.Name == pkg {
				calls = append(calls, c)
			}
		case *ast.SelectorExpr:
			if x, ok := fun.X.(*ast.Ident); ok && qualifier != "" && x.Name == qualifier && fun.Sel.Name == "NewHandlers" {
				calls = append(calls, c)
			}
		}
		return true
	})
	return calls
}
