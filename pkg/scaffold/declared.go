package scaffold

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"strings"
)

// declarations returns the package-level identifiers declared by the Go
// files of dir (tests of the same package included), each with where it
// is declared. Methods are not package-level; init and _ are skipped.
func declarations(fset *token.FileSet, files map[string][]byte) (map[string]string, error) {
	decls := map[string]string{}
	for name, src := range files {
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(f.Name.Name, "_test") {
			continue // an external test package: a namespace of its own
		}
		add := func(id *ast.Ident) {
			if id.Name != "_" && id.Name != "init" {
				p := fset.Position(id.Pos())
				decls[id.Name] = fmt.Sprintf("%s:%d", p.Filename, p.Line)
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						add(s.Name)
					case *ast.ValueSpec:
						for _, id := range s.Names {
							add(id)
						}
					}
				}
			}
		}
	}
	return decls, nil
}

// serviceFiles reads the Go files of the repository's service package,
// by slash-separated path.
func (r *Repo) serviceFiles() (map[string][]byte, error) {
	entries, err := os.ReadDir(r.path(ServiceDir))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		rel := path.Join(ServiceDir, e.Name())
		src, err := r.read(rel)
		if err != nil {
			return nil, err
		}
		files[rel] = src
	}
	return files, nil
}

// collision returns an error when a package-level identifier of the
// generated files is already declared in the service package.
func collision(n Names, generated map[string][]byte, existing map[string]string) error {
	mine, err := declarations(token.NewFileSet(), generated)
	if err != nil {
		return fmt.Errorf("generated code does not parse: %w", err)
	}
	for _, id := range sortedKeys(mine) {
		if at, ok := existing[id]; ok {
			return fmt.Errorf("handler name %q: %s already declares %s, which the new handler would declare too", n.Name, at, id)
		}
	}
	return nil
}
