package consumerkit

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// checkRequiresFramework: dir's go.mod requires the framework with a
// replace to checkout; every framework package dir's build uses is one of
// the framework's public ones (pkg/...) read from checkout, and every
// other package of its module is in dir; dir holds no pkg/ and no file
// with the content of one of the framework's Go files.
func checkRequiresFramework(t *testing.T, dir, checkout string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	required, replaced := false, false
	for _, r := range mod.Require {
		required = required || r.Mod.Path == module
	}
	for _, r := range mod.Replace {
		replaced = replaced || r.Old.Path == module && r.New.Path == checkout
	}
	if mod.Module.Mod.Path != newServiceModule || !required || !replaced {
		t.Errorf("%s/go.mod: want module %s requiring %s replaced by %s:\n%s", dir, newServiceModule, module, checkout, data)
	}
	if _, err := os.Stat(filepath.Join(dir, "pkg")); !os.IsNotExist(err) {
		t.Errorf("%s has a pkg/ directory (%v): the framework's packages are copied", dir, err)
	}
	frameworkFiles := map[string]string{}
	walkFiles(t, filepath.Join(checkout, "pkg"), func(path string, data []byte) {
		if strings.HasSuffix(path, ".go") {
			frameworkFiles[string(data)] = path
		}
	})
	walkFiles(t, dir, func(path string, data []byte) {
		if from, ok := frameworkFiles[string(data)]; ok {
			t.Errorf("%s is a copy of the framework's %s", path, from)
		}
	})
	deps := runIn(t, dir, "go", "list", "-deps", "-f", "{{.ImportPath}} {{.Dir}}", "./...")
	uses := 0
	for _, line := range strings.Split(strings.TrimSpace(deps), "\n") {
		path, pkgDir, _ := strings.Cut(line, " ")
		switch {
		case path == module || strings.HasPrefix(path, module+"/"):
			uses++
			if !strings.HasPrefix(path, module+"/pkg/") || !strings.HasPrefix(pkgDir, checkout+string(filepath.Separator)) {
				t.Errorf("%s builds %s from %s: want only the framework's pkg/ packages, from %s", dir, path, pkgDir, checkout)
			}
		case path == newServiceModule || strings.HasPrefix(path, newServiceModule+"/"):
			if !strings.HasPrefix(pkgDir, dir) {
				t.Errorf("%s builds its own %s from %s", dir, path, pkgDir)
			}
		}
	}
	if uses < 5 {
		t.Errorf("%s uses %d framework packages:\n%s", dir, uses, deps)
	}
}

// walkFiles calls f with every regular file under root but .git's.
func walkFiles(t *testing.T, root string, f func(path string, data []byte)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case e.IsDir() && e.Name() == ".git":
			return filepath.SkipDir
		case !e.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f(path, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkManifestsCarryTheName: the kustomization labels every object with
// name, the Deployment, dashboard and alerts are named after it, and no
// file under deploy/ but Go files (which import the framework's packages)
// says consumerkit.
func checkManifestsCarryTheName(t *testing.T, dir, name string) {
	t.Helper()
	for file, want := range map[string]string{
		"deploy/k8s/kustomization.yaml":            "app.kubernetes.io/name: " + name + "\n",
		"deploy/k8s/deployment.yaml":               "name: " + name + "\n",
		"deploy/monitoring/grafana-dashboard.json": `"uid": "` + name + `-overview"`,
		"deploy/monitoring/prometheus-rules.yaml":  "- name: " + name + "\n",
	} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("%s does not say %q", file, want)
		}
	}
	walkFiles(t, filepath.Join(dir, "deploy"), func(path string, data []byte) {
		if !strings.HasSuffix(path, ".go") && bytes.Contains(data, []byte("consumerkit")) {
			t.Errorf("%s still says consumerkit", path)
		}
	})
}

// checkNoExampleCode: no exported name that only the example declares (in
// checkout: its internal/service files and the root's demofault.go; not
// the empty service that replaces it, nor any framework package) is in
// dir's Go files, nor is the example's handler named in a string. (Its
// unexported names are local words, like request, that other code uses
// for its own variables; deleted, they fail the build if still used.)
func checkNoExampleCode(t *testing.T, checkout, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "internal/service/enricher.go")); !os.IsNotExist(err) {
		t.Errorf("internal/service/enricher.go is still there (%v)", err)
	}
	example := declaredNames(t, filepath.Join(checkout, "internal/service/*.go"), filepath.Join(checkout, "demofault.go"))
	for name := range declaredNames(t, filepath.Join(dir, "internal/service/*.go"), filepath.Join(dir, "*.go")) {
		delete(example, name)
	}
	walkGoTokens(t, filepath.Join(checkout, "pkg"), func(_ token.Position, tok token.Token, lit string) {
		if tok == token.IDENT {
			delete(example, lit)
		}
	})
	if !example["OrdersEnricher"] || !example["DemoFaults"] {
		t.Fatalf("the example's names were not found (%d names): the check would prove nothing", len(example))
	}
	walkGoTokens(t, dir, func(pos token.Position, tok token.Token, lit string) {
		if tok == token.IDENT && example[lit] || tok == token.STRING && strings.Contains(lit, "orders-enricher") {
			t.Errorf("%s: %s is the example's", pos, lit)
		}
	})
}

// walkGoTokens calls f with every token but comments of every Go file
// under root.
func walkGoTokens(t *testing.T, root string, f func(token.Position, token.Token, string)) {
	t.Helper()
	walkFiles(t, root, func(path string, src []byte) {
		if !strings.HasSuffix(path, ".go") {
			return
		}
		var s scanner.Scanner
		fset := token.NewFileSet()
		s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				return
			}
			f(fset.Position(pos), tok, lit)
		}
	})
}

// declaredNames are the names the non-test files matching the patterns
// declare at package level, and their methods, each true when exported.
func declaredNames(t *testing.T, patterns ...string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				var ids []*ast.Ident
				switch n := n.(type) {
				case *ast.FuncDecl:
					names[n.Name.Name] = n.Name.IsExported()
					return false
				case *ast.TypeSpec:
					ids = []*ast.Ident{n.Name}
				case *ast.ValueSpec:
					ids = n.Names
				}
				for _, id := range ids {
					names[id.Name] = id.IsExported()
				}
				return true
			})
		}
	}
	return names
}
