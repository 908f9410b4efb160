package consumerkit

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// newServiceModule is the module path of the services the test makes: not
// this module's, so that nothing of it can be reached by accident.
const newServiceModule = "github.com/acme/payments-consumer"

// flakyInTheFramework is a test of the service that fails now and then in
// this repository as well (about one run in four, with or without -race):
// kafka-go starts a writer goroutine per partition written to, lazily, so
// the goroutines of the slow sink's output topic can appear after the
// baseline is taken. It is skipped here until it is fixed there, so that
// this test fails only for what it checks.
const flakyInTheFramework = "^TestDemoFaultSlowKeepsGoroutinesFlatAndLivenessGreen$"

// TestNewServiceRequiresTheFrameworkBuildsTestsAndRuns runs `consumer new
// service` in a copy of the checkout (so that the test can then change a
// framework package there) twice: with the example, and with
// --no-example. Each new service requires the copy's framework packages
// through a replace and copies none of them; its manifests carry its
// name; it builds, its tests pass, and its command runs on the embedded
// broker and exits 0 on SIGTERM. The one without the example has none of
// the example's code. Last, a framework package of the copy is broken:
// both services' builds fail on it. The cases share the copy and the two
// services, since each service takes a minute or more to build and test.
func TestNewServiceRequiresTheFrameworkBuildsTestsAndRuns(t *testing.T) {
	checkout := copyRepo(t)
	base := t.TempDir()
	full, bare := filepath.Join(base, "payments-consumer"), filepath.Join(base, "payments-bare")
	runIn(t, checkout, "go", "run", "./cmd/consumer", "new", "service", "--module", newServiceModule, "--dir", full)
	runIn(t, checkout, "go", "run", "./cmd/consumer", "new", "service", "--module", newServiceModule, "--dir", bare,
		"--no-example", "--name", "payments-consumer")

	t.Run("the framework is required, not copied", func(t *testing.T) {
		for _, dir := range []string{full, bare} {
			checkRequiresFramework(t, dir, checkout)
			checkManifestsCarryTheName(t, dir, "payments-consumer")
		}
	})
	t.Run("with the example", func(t *testing.T) {
		runIn(t, full, "go", "build", "./...")
		// Without -race: the service's suite (the example's integration
		// tests among them) is this repository's, which CI runs with -race.
		runIn(t, full, "go", "test", "-count=1", "-skip", flakyInTheFramework, "./...")
		r := startBinary(t, buildConsumer(t, full, t.TempDir()), "run", "--admin-addr", "127.0.0.1:0", "--log-level", "info")
		url := r.ready()
		consumertest.Eventually(t, "the example consuming the demo orders", func() bool {
			return consumertest.CounterValue(t, consumertest.Scrape(t, url+"/metrics"), "kafka_consumer_messages_total",
				map[string]string{"topic": "orders", "handler": "orders-enricher", "outcome": "success"}) > 0
		})
		if code := r.terminate(); code != 0 {
			t.Fatalf("exit %d after SIGTERM\nstderr:\n%s", code, r.stderr.String())
		}
		r.waitLog("shutdown complete")
	})
	t.Run("without the example", func(t *testing.T) {
		checkNoExampleCode(t, checkout, bare)
		runIn(t, bare, "go", "build", "./...")
		runIn(t, bare, "make", "test")
		r := startBinary(t, buildConsumer(t, bare, t.TempDir()), "run", "--admin-addr", "127.0.0.1:0", "--log-level", "info")
		r.ready()
		r.waitLog("no subscriptions: register a handler in internal/service/handlers.go")
		if code := r.terminate(); code != 0 {
			t.Fatalf("exit %d after SIGTERM\nstderr:\n%s", code, r.stderr.String())
		}
		r.waitLog("shutdown complete")
	})
	t.Run("a framework change reaches the services", func(t *testing.T) {
		broken := filepath.Join(checkout, "pkg", "registry", "zz_changed.go")
		if err := os.WriteFile(broken, []byte("package registry\n\nvar _ int = \"a framework change\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{full, bare} {
			out, err := goBuild(t, dir)
			if err == nil || !strings.Contains(out, module+"/pkg/registry") || !strings.Contains(out, "zz_changed.go") {
				t.Errorf("go build ./... in %s after breaking the copy's pkg/registry: %v\n%s\nwant it to fail there", dir, err, out)
			}
		}
	})
}

// goBuild runs `go build ./...` in dir and returns its output and error.
func goBuild(t *testing.T, dir string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "./...")
	cmd.Dir, cmd.Env = dir, cleanEnv(t)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

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
