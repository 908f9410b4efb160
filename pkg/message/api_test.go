package message

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestTheAPIIsWhatAHandlerAuthorUses: package message exports the handler
// author's vocabulary and nothing of the delivery protocol (outcomes, how
// a batch error is split, byte accounting, profiler labels: those are the
// engine's, in pkg/internal). A new export has to be added here, on
// purpose.
func TestTheAPIIsWhatAHandlerAuthorUses(t *testing.T) {
	want := []string{
		"BatchError", "BatchError.Error", "BatchError.Failed",
		"BatchHandler", "BatchHandler.HandleBatch", "BatchHandlerFunc", "BatchHandlerFunc.HandleBatch",
		"Call", "Chain",
		"Handler", "Handler.Handle", "HandlerFunc", "HandlerFunc.Handle",
		"Header", "Header.Key", "Header.Value",
		"IsPermanent",
		"Message", "Message.Attempts", "Message.FirstFailure", "Message.Header", "Message.Headers", "Message.Key",
		"Message.LastFailure", "Message.Offset", "Message.Partition", "Message.Time", "Message.Topic", "Message.Value",
		"Middleware", "Permanent",
	}
	if got := exported(t, "."); !slices.Equal(got, want) {
		t.Fatalf("package message exports\n\t%v\nwant\n\t%v", got, want)
	}
}

// exported lists, sorted, the exported names declared by the non-test Go
// files in dir: top-level names, and Type.Name for methods, struct fields
// and interface methods.
func exported(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	add := func(name string) {
		if last := name[strings.LastIndex(name, ".")+1:]; ast.IsExported(last) {
			names = append(names, name)
		}
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name.Name)
					continue
				}
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				if id, ok := recv.(*ast.Ident); ok && ast.IsExported(id.Name) {
					add(id.Name + "." + d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							add(n.Name)
						}
					case *ast.TypeSpec:
						if !ast.IsExported(s.Name.Name) {
							continue
						}
						add(s.Name.Name)
						var fields *ast.FieldList
						switch tt := s.Type.(type) {
						case *ast.StructType:
							fields = tt.Fields
						case *ast.InterfaceType:
							fields = tt.Methods
						}
						if fields != nil {
							for _, fl := range fields.List {
								for _, n := range fl.Names {
									add(s.Name.Name + "." + n.Name)
								}
							}
						}
					}
				}
			}
		}
	}
	slices.Sort(names)
	return names
}
