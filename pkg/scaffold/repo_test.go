package scaffold

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

func TestOpenRepoRecognisesAServiceRepository(t *testing.T) {
	r, err := OpenRepo(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Module != "example.com/payments" {
		t.Fatalf("module %q", r.Module)
	}
}

// TestOpenRepoNamesWhatIsMissing: a directory that is not a service
// repository laid out as the generator expects is refused, naming each
// part it lacks, and nothing in it changes.
func TestOpenRepoNamesWhatIsMissing(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, dir string)
		want []string
	}{
		{"an empty directory", func(t *testing.T, dir string) { removeAll(t, dir) },
			[]string{"missing go.mod; wire.go (the injector); internal/service/handlers.go (the registration point); deploy/k8s/config.yaml (the configuration file)"}},
		{"no Wire tool", func(t *testing.T, dir string) {
			write(t, dir, "go.mod", "module example.com/payments\n\ngo 1.26.0\n")
		}, []string{"missing `tool github.com/google/wire/cmd/wire` in go.mod"}},
		{"an invalid go.mod", func(t *testing.T, dir string) { write(t, dir, "go.mod", "modul x\n") }, []string{"missing a valid go.mod"}},
		{"no injector", func(t *testing.T, dir string) { remove(t, dir, "wire.go") }, []string{"missing wire.go (the injector)"}},
		{"no Handlers set", func(t *testing.T, dir string) {
			write(t, dir, HandlersFile, "package service\n\nfunc NewHandlers() (*registry.Registry, error) { return registry.New() }\n")
		}, []string{"missing in internal/service/handlers.go: no var Handlers = wire.NewSet(...)"}},
		{"no NewHandlers", func(t *testing.T, dir string) {
			write(t, dir, HandlersFile, "package service\n\nimport \"github.com/google/wire\"\n\nvar Handlers = wire.NewSet()\n")
		}, []string{"no func NewHandlers"}},
		{"NewHandlers without registry.New", func(t *testing.T, dir string) {
			write(t, dir, HandlersFile, "package service\n\nimport \"github.com/google/wire\"\n\nvar Handlers = wire.NewSet()\n\nfunc NewHandlers() {}\n")
		}, []string{"no one registry.New(...) call in NewHandlers"}},
		{"handlers.go does not parse", func(t *testing.T, dir string) { write(t, dir, HandlersFile, "package service\n\nfunc {\n") },
			[]string{"missing in internal/service/handlers.go: internal/service/handlers.go:3:6: expected 'IDENT'"}},
		{"a configuration file that is not a mapping", func(t *testing.T, dir string) { write(t, dir, ConfigFile, "- a\n- b\n") },
			[]string{"missing a valid deploy/k8s/config.yaml: its top level is not a mapping"}},
		{"kafka is not a mapping", func(t *testing.T, dir string) { write(t, dir, ConfigFile, "kafka: 3\n") },
			[]string{"deploy/k8s/config.yaml: line 1: kafka is not a mapping"}},
		{"subscriptions are not a list", func(t *testing.T, dir string) { write(t, dir, ConfigFile, "kafka:\n  subscriptions: {}\n") },
			[]string{"deploy/k8s/config.yaml: line 2: kafka.subscriptions is not a list"}},
		{"no configuration file", func(t *testing.T, dir string) { remove(t, dir, ConfigFile) },
			[]string{"missing deploy/k8s/config.yaml (the configuration file)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			tt.edit(t, dir)
			before := scaffoldtest.Tree(t, dir)
			_, err := OpenRepo(dir)
			if err == nil {
				t.Fatal("recognised")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, dir+" is not a service repository that `consumer new` knows: ") || strings.Contains(msg, "\n") {
				t.Errorf("message %q: want one line saying %s is not a service repository", msg, dir)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
			sameTree(t, dir, before)
		})
	}
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, dir, rel string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

// removeAll empties dir.
func removeAll(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}
