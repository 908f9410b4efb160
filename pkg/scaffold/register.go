package scaffold

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"
)

// The import paths handlers.go registers with.
const (
	wirePath     = "github.com/google/wire"
	registryPath = "github.com/consumerkit/consumerkit/pkg/registry"
)

// maxSignature is the longest NewHandlers signature kept on one line;
// beyond it, its parameters go one per line.
const maxSignature = 100

// handlersFile is internal/service/handlers.go, parsed, with the three
// places a handler is registered: the Handlers set, NewHandlers'
// parameters and its registry.New call.
type handlersFile struct {
	fset *token.FileSet
	file *ast.File
	// set is wire.NewSet(...), the value of var Handlers.
	set *ast.CallExpr
	// fn is NewHandlers; regs the one registry.New(...) call in it.
	fn   *ast.FuncDecl
	regs *ast.CallExpr
}

// parseHandlers parses src, the file handlers.go, and finds where
// handlers are registered, or says which of them it lacks.
func parseHandlers(src []byte) (*handlersFile, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, HandlersFile, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	h := &handlersFile{fset: fset, file: f}
	wireName, registryName := importName(f, wirePath), importName(f, registryPath)
	var missing []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			h.findSet(d, wireName)
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == "NewHandlers" && d.Body != nil {
				h.fn = d
			}
		}
	}
	if h.set == nil {
		missing = append(missing, "var Handlers = wire.NewSet(...)")
	}
	if h.fn == nil {
		missing = append(missing, "func NewHandlers")
	} else if h.regs = registryNew(h.fn, registryName); h.regs == nil {
		missing = append(missing, "one registry.New(...) call in NewHandlers")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no %s", strings.Join(missing, ", no "))
	}
	return h, nil
}

// findSet records the value of var Handlers when d declares it as a
// wire.NewSet call.
func (h *handlersFile) findSet(d *ast.GenDecl, wireName string) {
	for _, s := range d.Specs {
		v, ok := s.(*ast.ValueSpec)
		if !ok || len(v.Names) != 1 || v.Names[0].Name != "Handlers" || len(v.Values) != 1 {
			continue
		}
		if call, ok := v.Values[0].(*ast.CallExpr); ok && isCall(call, wireName, "NewSet") {
			h.set = call
		}
	}
}

// registryNew returns the one registry.New call in fn, nil if there is
// none or more than one.
func registryNew(fn *ast.FuncDecl, registryName string) *ast.CallExpr {
	var calls []*ast.CallExpr
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && isCall(c, registryName, "New") {
			calls = append(calls, c)
		}
		return true
	})
	if len(calls) != 1 {
		return nil
	}
	return calls[0]
}

// isCall reports whether c calls pkg.name.
func isCall(c *ast.CallExpr, pkg, name string) bool {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == pkg
}

// importName is the name f refers to the package at path by: its alias,
// else the last element of the path.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if p, err := strconv.Unquote(imp.Path.Value); err == nil && p == path {
			if imp.Name != nil {
				return imp.Name.Name
			}
			break
		}
	}
	return path[strings.LastIndex(path, "/")+1:]
}

// registered reports whether the handlers file already has n's
// constructor in its set.
func (h *handlersFile) registered(n Names) bool {
	return slices.ContainsFunc(h.set.Args, func(e ast.Expr) bool {
		id, ok := e.(*ast.Ident)
		return ok && id.Name == n.Constructor
	})
}

// register returns the file with the handler n registered: its
// constructor in the Handlers set (before NewHandlers, which stays last),
// the handler as a parameter of NewHandlers, its Registration() in the
// registry.New call. Each list is laid out one entry per line, as people
// write them.
func (h *handlersFile) register(n Names) ([]byte, error) {
	param := h.paramName(n.Param)
	args := h.set.Args
	at := len(args)
	if at > 0 {
		if id, ok := args[at-1].(*ast.Ident); ok && id.Name == "NewHandlers" {
			at--
		}
	}
	ctor := ast.NewIdent(n.Constructor)
	placeAt(h.set.Rparen, ctor)
	if at < len(args) {
		placeAt(args[at].Pos(), ctor)
	}
	h.set.Args = slices.Insert(args, at, ast.Expr(ctor))
	field := &ast.Field{Names: []*ast.Ident{ast.NewIdent(param)}, Type: &ast.StarExpr{X: ast.NewIdent(n.Type)}}
	placeAt(h.fn.Type.Params.Closing, field)
	h.fn.Type.Params.List = append(h.fn.Type.Params.List, field)
	call := &ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent(param), Sel: ast.NewIdent("Registration")}}
	placeAt(h.regs.Rparen, call)
	h.regs.Args = append(h.regs.Args, call)
	edited, err := h.format()
	if err != nil {
		return nil, err
	}
	// The new nodes sit at their neighbours' positions, so the printer put
	// them on their neighbours' lines: parse the result and break them.
	again, err := parseHandlers(edited)
	if err != nil {
		return nil, fmt.Errorf("edited %s: %w", HandlersFile, err)
	}
	return again.oneEntryPerLine()
}

// paramName is want, or want with "Handler" (and a number) appended if
// NewHandlers already uses want, or it is a keyword or predeclared.
func (h *handlersFile) paramName(want string) string {
	used := map[string]bool{}
	ast.Inspect(h.fn, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			used[id.Name] = true
		}
		return true
	})
	for _, imp := range h.file.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		used[importName(h.file, p)] = true
	}
	free := func(s string) bool { return !used[s] && !token.IsKeyword(s) && types.Universe.Lookup(s) == nil }
	if free(want) {
		return want
	}
	for i := 1; ; i++ {
		s := want + "Handler"
		if i > 1 {
			s += strconv.Itoa(i)
		}
		if free(s) {
			return s
		}
	}
}

// oneEntryPerLine lays out the Handlers set and the registry.New call
// one argument per line, and NewHandlers' parameters too once its
// signature is long or already spans lines, and returns the file.
func (h *handlersFile) oneEntryPerLine() ([]byte, error) {
	b := newLineBreaks(h.fset, h.file)
	b.args(h.set)
	b.args(h.regs)
	if b.multiline(h.fn.Type.Params) || h.fset.Position(h.fn.Type.End()).Column-h.fset.Position(h.fn.Type.Pos()).Column > maxSignature {
		b.params(h.fn)
	}
	return b.format(HandlersFile)
}

// format prints the file as gofmt would.
func (h *handlersFile) format() ([]byte, error) { return formatFile(HandlersFile, h.fset, h.file) }
