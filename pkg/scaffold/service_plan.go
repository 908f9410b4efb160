package scaffold

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
)

// planService checks o and its source and prepares every file of the new
// service in memory; it writes nothing.
func planService(o ServiceOptions) (*servicePlan, error) {
	if problems := checkServiceOptions(&o); len(problems) > 0 {
		return nil, &ServiceRefusal{Problems: problems}
	}
	refuse := func(err error) error { return &ServiceRefusal{Problems: []error{err}} }
	from := o.From
	if from == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("working directory: %w", err)
		}
		if from, err = findModuleRoot(wd); err != nil {
			return nil, refuse(err)
		}
	}
	from, err := filepath.Abs(from)
	if err != nil {
		return nil, refuse(fmt.Errorf("--from %s: %w", o.From, err))
	}
	src, err := loadServiceSource(from)
	if err != nil {
		return nil, refuse(err)
	}
	if within(o.Dir, src.dir) {
		return nil, refuse(fmt.Errorf("--dir %s is inside the framework checkout %s: put the new service beside it, not in it", o.Dir, src.dir))
	}
	dep := frameworkDep{version: o.FrameworkVersion}
	if dep.version == "" {
		if dep.replace, err = frameworkDir(o.FrameworkReplace, src.dir); err != nil {
			return nil, refuse(err)
		}
		dep.version = replacedVersion
	}
	files, err := serviceFiles(src)
	if err != nil {
		return nil, err
	}
	if files, err = renameService(files, src, o.Module, o.Name); err != nil {
		return nil, err
	}
	extra, err := serviceModuleFiles(src, o, dep)
	if err != nil {
		return nil, err
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	// The new module stands alone: a go.work around Dir must not pull it
	// into a workspace.
	env = append(env[:len(env):len(env)], "GOWORK=off")
	return &servicePlan{dir: o.Dir, files: append(files, extra...), noExample: o.NoExample, env: env, out: out}, nil
}

// checkServiceOptions returns every problem of o's own values, and
// completes o: Dir absolute, Name defaulted.
func checkServiceOptions(o *ServiceOptions) []error {
	var problems []error
	switch err := module.CheckPath(o.Module); {
	case o.Module == "":
		problems = append(problems, errors.New("--module is required: the new service's module path, e.g. github.com/acme/payments-consumer"))
	case err != nil:
		problems = append(problems, fmt.Errorf("--module %q is not a valid module path: %w", o.Module, err))
	case o.Module == FrameworkModule || strings.HasPrefix(o.Module, FrameworkModule+"/"):
		problems = append(problems, fmt.Errorf("--module %s is the framework's own path: the new service needs a module path of its own", o.Module))
	}
	if o.Dir == "" {
		problems = append(problems, errors.New("--dir is required: where to write the new service"))
	} else if dir, err := filepath.Abs(o.Dir); err != nil {
		problems = append(problems, fmt.Errorf("--dir %s: %w", o.Dir, err))
	} else {
		o.Dir = dir
		if info, err := os.Stat(dir); err == nil && !info.IsDir() {
			problems = append(problems, fmt.Errorf("--dir %s exists and is not a directory", dir))
		} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
			problems = append(problems, fmt.Errorf("--dir %s exists and is not empty: nothing is written over existing files", dir))
		}
	}
	if o.FrameworkReplace != "" && o.FrameworkVersion != "" {
		problems = append(problems, errors.New("--framework-replace and --framework-version exclude each other: the framework is either the checkout or a published version"))
	} else if o.FrameworkVersion != "" {
		if err := module.Check(FrameworkModule, o.FrameworkVersion); err != nil {
			problems = append(problems, fmt.Errorf("--framework-version: %w", err))
		}
	}
	if o.Name == "" && o.Module != "" {
		o.Name = serviceNameFromModule(o.Module)
	}
	if o.Name != "" || o.Module != "" {
		if err := checkServiceName(o.Name); err != nil {
			problems = append(problems, err)
		}
	}
	return problems
}

// frameworkDir is the absolute directory the framework is replaced by:
// replace, or the source checkout; it must hold the framework's module.
func frameworkDir(replace, source string) (string, error) {
	if replace == "" {
		return source, nil
	}
	dir, err := filepath.Abs(replace)
	if err != nil {
		return "", fmt.Errorf("--framework-replace %s: %w", replace, err)
	}
	mod, err := readGoMod(dir)
	if err != nil {
		return "", fmt.Errorf("--framework-replace: %w", err)
	}
	if mod.Module.Mod.Path != FrameworkModule {
		return "", fmt.Errorf("--framework-replace %s is module %s, not the framework %s", dir, mod.Module.Mod.Path, FrameworkModule)
	}
	return dir, nil
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// renameService rewrites the source's files for the new service (see
// renaming): Go files through their syntax tree, the rest as text.
func renameService(files []sourceFile, src *serviceSource, newModule, newName string) ([]sourceFile, error) {
	parsed := map[string]*goFile{}
	taken := map[string]bool{}
	for _, f := range files {
		if !strings.HasSuffix(f.rel, ".go") {
			continue
		}
		g, err := parseGoFile(f)
		if err != nil {
			return nil, err
		}
		parsed[f.rel] = g
		if g.rootImport(src.module) != nil {
			for _, n := range g.importNames() {
				taken[n] = true
			}
		}
	}
	r := renaming{
		oldModule: src.module, newModule: newModule,
		oldName: src.name, newName: newName,
		oldPkg: src.pkgName, newPkg: packageNameFor(newName, taken),
	}
	out := make([]sourceFile, 0, len(files))
	for _, f := range files {
		if g, ok := parsed[f.rel]; ok {
			data, err := g.rewrite(r)
			if err != nil {
				return nil, err
			}
			f.data = data
		} else {
			f.data = []byte(r.text(string(f.data)))
		}
		out = append(out, f)
	}
	return out, nil
}

// serviceModuleFiles are the files the new service gets that the source's
// are not: go.mod, go.sum (the source's, so that tidy finds the checksums
// it already has), and the generated Makefile, README, .ci/run and
// .gitignore.
func serviceModuleFiles(src *serviceSource, o ServiceOptions, dep frameworkDep) ([]sourceFile, error) {
	goMod, err := serviceGoMod(o.Module, src.goVersion, dep)
	if err != nil {
		return nil, err
	}
	files := []sourceFile{{rel: "go.mod", data: goMod, mode: 0o644}}
	if sum, err := os.ReadFile(filepath.Join(src.dir, "go.sum")); err == nil {
		files = append(files, sourceFile{rel: "go.sum", data: sum, mode: 0o644})
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("read go.sum: %w", err)
	}
	generated, err := renderServiceFiles(serviceTemplateData{
		Name: o.Name, Module: o.Module, Go: goMajorMinor(src.goVersion), Example: !o.NoExample,
		Replace: dep.replace, Version: dep.version,
	})
	if err != nil {
		return nil, err
	}
	return append(files, generated...), nil
}
