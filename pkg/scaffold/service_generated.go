package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"text/template"

	"golang.org/x/mod/modfile"
)

// replacedVersion is the version a requirement that a replace satisfies
// carries: any is fine, this one says it is not a real one.
const replacedVersion = "v0.0.0-00010101000000-000000000000"

//go:embed servicefiles/*.tmpl
var serviceTemplates embed.FS

// frameworkDep is how a new service requires the framework: a version,
// or a replace to a directory holding it (a checkout).
type frameworkDep struct {
	version string
	replace string // absolute directory, or "" for none
}

// serviceGoMod is the new service's go.mod before `go mod tidy`: its
// module, the source's go version, the framework's requirement (and
// replace) and wire as a tool.
func serviceGoMod(module, goVersion string, dep frameworkDep) ([]byte, error) {
	f := &modfile.File{Syntax: &modfile.FileSyntax{}}
	if err := f.AddModuleStmt(module); err != nil {
		return nil, fmt.Errorf("go.mod: %w", err)
	}
	if err := f.AddGoStmt(goVersion); err != nil {
		return nil, fmt.Errorf("go.mod: %w", err)
	}
	f.AddNewRequire(FrameworkModule, dep.version, false)
	if dep.replace != "" {
		if err := f.AddReplace(FrameworkModule, "", dep.replace, ""); err != nil {
			return nil, fmt.Errorf("go.mod: %w", err)
		}
	}
	if err := f.AddTool(wireTool); err != nil {
		return nil, fmt.Errorf("go.mod: %w", err)
	}
	f.Cleanup()
	return modfile.Format(f.Syntax), nil
}

// serviceTemplateData is what the generated files say about the service.
type serviceTemplateData struct {
	Name, Module string
	Go           string // the Go version the service needs (1.26)
	Example      bool   // the example is kept
	Replace      string // the framework checkout it is replaced by, or ""
	Version      string // the framework version, when not replaced
}

// generatedFiles are the new service's files written from templates
// (servicefiles/*.tmpl), by their path in the service.
var generatedFiles = map[string]struct {
	template string
	mode     fs.FileMode
}{
	"Makefile":   {"Makefile.tmpl", 0o644},
	"README.md":  {"README.md.tmpl", 0o644},
	".ci/run":    {"ci-run.tmpl", 0o755},
	".gitignore": {"gitignore.tmpl", 0o644},
}

// renderServiceFiles executes the templates with d.
func renderServiceFiles(d serviceTemplateData) ([]sourceFile, error) {
	var files []sourceFile
	for rel, g := range generatedFiles {
		t, err := template.ParseFS(serviceTemplates, "servicefiles/"+g.template)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", g.template, err)
		}
		var out bytes.Buffer
		if err := t.Execute(&out, d); err != nil {
			return nil, fmt.Errorf("template %s: %w", g.template, err)
		}
		files = append(files, sourceFile{rel: rel, data: out.Bytes(), mode: g.mode})
	}
	return files, nil
}

// goMajorMinor is "1.26" for "1.26.0": what a reader installs.
func goMajorMinor(v string) string {
	if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}
