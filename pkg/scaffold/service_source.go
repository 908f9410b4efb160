package scaffold

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
	"gopkg.in/yaml.v3"
)

// serviceSource is the checkout a new service is made from: the
// framework's own repository, whose example service (cmd/consumer, the
// root package, internal/, deploy/) is the template.
type serviceSource struct {
	dir       string // absolute module root
	module    string // its module path
	goVersion string // its go directive
	name      string // the service's name in its manifests (app.kubernetes.io/name)
	pkgName   string // its root package's name (the injector's)
}

// sourceLayout are the files that make a checkout a service this command
// knows how to copy: the command, the injector, the registration point,
// the manifests and the script that removes the example.
var sourceLayout = []string{
	"cmd/consumer/main.go",
	"components.go",
	"wire.go",
	"internal/service/handlers.go",
	"deploy/k8s/kustomization.yaml",
	"scripts/remove-example.sh",
}

// findModuleRoot is the nearest directory at or above dir holding a go.mod.
func findModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside a Go module (no go.mod in it or above it): run the command in a checkout of %s or pass --from", dir, FrameworkModule)
		}
	}
}

// readGoMod parses dir's go.mod.
func readGoMod(dir string) (*modfile.File, error) {
	path := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if f.Module == nil {
		return nil, fmt.Errorf("%s has no module line", path)
	}
	return f, nil
}

// loadServiceSource recognises dir as the framework's checkout. Only the
// framework's checkout is a source: a service made by `consumer new
// service` requires the framework instead of holding it (no pkg/), and
// its files are its own, no longer the example this command knows how to
// rename. Run in such a service, the command is refused with the way out:
// --from the framework checkout its go.mod replaces the framework with.
// (To be a source itself, a service would need the framework's packages
// beside its own and a known old name for each file; copying it with its
// module path rewritten is `gonew`'s job.)
func loadServiceSource(dir string) (*serviceSource, error) {
	mod, err := readGoMod(dir)
	if err != nil {
		return nil, err
	}
	if mod.Module.Mod.Path != FrameworkModule {
		hint := "pass a checkout of the framework with --from"
		for _, r := range mod.Replace {
			if r.Old.Path == FrameworkModule && r.New.Version == "" {
				hint = "its framework checkout is " + r.New.Path + ": pass --from " + r.New.Path
			}
		}
		return nil, fmt.Errorf("%s is module %s, not the framework %s: a new service is made from the framework's checkout; %s",
			dir, mod.Module.Mod.Path, FrameworkModule, hint)
	}
	if info, err := os.Stat(filepath.Join(dir, "pkg")); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("%s has no pkg/ directory: it is not a checkout of the framework", dir)
	}
	var missing []error
	for _, f := range sourceLayout {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, fmt.Errorf("%s: missing %s", dir, f))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, fmt.Errorf("not the service layout this command copies:\n%w", err)
	}
	src := &serviceSource{dir: dir, module: mod.Module.Mod.Path}
	if mod.Go != nil {
		src.goVersion = mod.Go.Version
	}
	if src.name, err = manifestName(filepath.Join(dir, "deploy/k8s/kustomization.yaml")); err != nil {
		return nil, err
	}
	if src.pkgName, err = packageClause(filepath.Join(dir, "components.go")); err != nil {
		return nil, err
	}
	return src, nil
}

// manifestName is the app.kubernetes.io/name label of a kustomization:
// the name the manifests, dashboards and alerts carry.
func manifestName(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	var k struct {
		CommonLabels map[string]string `yaml:"commonLabels"`
		Labels       []struct {
			Pairs map[string]string `yaml:"pairs"`
		} `yaml:"labels"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return "", fmt.Errorf("parse %s: %w", path, err)
	}
	name := k.CommonLabels["app.kubernetes.io/name"]
	for _, l := range k.Labels {
		if v, ok := l.Pairs["app.kubernetes.io/name"]; ok {
			name = v
		}
	}
	if name == "" {
		return "", fmt.Errorf("%s: no app.kubernetes.io/name label: the service's name is unknown", path)
	}
	return name, nil
}

// packageClause is the package name a Go file declares.
func packageClause(path string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", path, err)
	}
	return f.Name.Name, nil
}
