package scaffold

import (
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestServiceGoModRequiresTheFrameworkAsChosen: a replace to the checkout,
// or a published version and no replace; wire is a tool either way.
func TestServiceGoModRequiresTheFrameworkAsChosen(t *testing.T) {
	for _, dep := range []frameworkDep{
		{version: replacedVersion, replace: "/src/consumerkit"},
		{version: "v1.4.0"},
	} {
		data, err := serviceGoMod("github.com/acme/payments-consumer", "1.26.0", dep)
		if err != nil {
			t.Fatal(err)
		}
		f, err := modfile.Parse("go.mod", data, nil)
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		ok := f.Module.Mod.Path == "github.com/acme/payments-consumer" && f.Go.Version == "1.26.0" &&
			len(f.Require) == 1 && f.Require[0].Mod.Path == FrameworkModule && f.Require[0].Mod.Version == dep.version &&
			len(f.Tool) == 1 && f.Tool[0].Path == wireTool
		if dep.replace != "" {
			ok = ok && len(f.Replace) == 1 && f.Replace[0].Old.Path == FrameworkModule && f.Replace[0].New.Path == dep.replace
		} else {
			ok = ok && len(f.Replace) == 0
		}
		if !ok {
			t.Errorf("framework %+v: go.mod\n%s", dep, data)
		}
	}
}

// TestServiceFilesSayHowToRunTestAndGrow: the README's first block is the
// two commands, run and test; it says how to add a handler and how the
// framework is required; the Makefile's test is the race-checked suite,
// and its image is tagged with the service's name.
func TestServiceFilesSayHowToRunTestAndGrow(t *testing.T) {
	for _, d := range []serviceTemplateData{
		{Name: "payments-consumer", Module: "github.com/acme/payments-consumer", Go: "1.26", Example: true, Replace: "/src/consumerkit", Version: replacedVersion},
		{Name: "payments-consumer", Module: "github.com/acme/payments-consumer", Go: "1.26", Version: "v1.4.0"},
	} {
		files, err := renderServiceFiles(d)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range files {
			got[f.rel] = string(f.data)
			if strings.Contains(f.rel, "run") && f.mode&0o100 == 0 {
				t.Errorf("%s is not executable (%v)", f.rel, f.mode)
			}
		}
		readme := got["README.md"]
		_, block, _ := strings.Cut(readme, "```sh\n")
		block, _, _ = strings.Cut(block, "```")
		var commands []string
		for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
			cmd, _, _ := strings.Cut(line, "#")
			commands = append(commands, strings.TrimSpace(cmd))
		}
		if strings.Join(commands, "; ") != "go run ./cmd/consumer run; make test" {
			t.Errorf("README's first commands %q, want run and test", commands)
		}
		framework := "through a `replace` to the checkout at\n`/src/consumerkit`"
		if d.Replace == "" {
			framework = "requires `github.com/consumerkit/consumerkit v1.4.0`"
		}
		for _, want := range []string{"# payments-consumer\n", "go run ./cmd/consumer new handler NAME --topic TOPIC", framework} {
			if !strings.Contains(readme, want) {
				t.Errorf("README does not say %q:\n%s", want, readme)
			}
		}
		if strings.Contains(readme, "make remove-example") != d.Example {
			t.Errorf("README mentions the example (make remove-example) %t, want %t", !d.Example, d.Example)
		}
		for _, want := range []string{"\t$(GO) test -race -count=1", "\t$(GO) tool wire gen .", "\t$(GO) tool wire diff .", "\tscripts/remove-example.sh", "\t$(GO) run ./cmd/consumer run",
			"\nIMAGE   ?= payments-consumer:dev\n", "\nimage: ## ", "\tIMAGE=$(IMAGE) VERSION=$(VERSION) scripts/image.sh build\n"} {
			if !strings.Contains(got["Makefile"], want) {
				t.Errorf("Makefile has no %q", want)
			}
		}
		if !strings.Contains(got[".ci/run"], "\nmake test\n") {
			t.Errorf(".ci/run does not run the README's test command:\n%s", got[".ci/run"])
		}
	}
}
