package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// The parts of a service repository the generator reads and edits,
// relative to its root.
const (
	// ServiceDir is the service's package: its handlers and their tests.
	ServiceDir = "internal/service"
	// HandlersFile is the one place handlers are registered.
	HandlersFile = ServiceDir + "/handlers.go"
	// ConfigFile is the service's configuration file.
	ConfigFile = "deploy/k8s/config.yaml"
	// InjectorFile declares the injector wire_gen.go is generated from.
	InjectorFile = "wire.go"
	// wireTool is the tool directive go.mod needs for `go tool wire`.
	wireTool = "github.com/google/wire/cmd/wire"
)

// Repo is a service repository laid out as consumerkit's: a module with
// Wire as a tool, the injector at its root, the handlers registered in
// internal/service/handlers.go and configured in deploy/k8s/config.yaml.
// A repository made by `consumer new service` is one; so is consumerkit's.
type Repo struct {
	// Dir is the repository's root.
	Dir string
	// Module is its module path.
	Module string
}

// OpenRepo returns the repository at dir, or an error naming everything
// it lacks to be recognised as a service repository. It reads, and
// writes nothing.
func OpenRepo(dir string) (*Repo, error) {
	r := &Repo{Dir: dir}
	var missing []string
	if err := r.readModule(); err != nil {
		missing = append(missing, err.Error())
	}
	if _, err := os.Stat(r.path(InjectorFile)); err != nil {
		missing = append(missing, InjectorFile+" (the injector)")
	}
	if src, err := r.read(HandlersFile); err != nil {
		missing = append(missing, HandlersFile+" (the registration point)")
	} else if _, err := parseHandlers(src); err != nil {
		missing = append(missing, fmt.Sprintf("in %s: %v", HandlersFile, err))
	}
	if src, err := r.read(ConfigFile); err != nil {
		missing = append(missing, ConfigFile+" (the configuration file)")
	} else if _, err := parseConfig(src); err != nil {
		missing = append(missing, fmt.Sprintf("a valid %s: %v", ConfigFile, err))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s is not a service repository that `consumer new` knows: missing %s", dir, strings.Join(missing, "; "))
	}
	return r, nil
}

// readModule reads go.mod: its module path, and that it has Wire as a
// tool.
func (r *Repo) readModule() error {
	src, err := r.read("go.mod")
	if err != nil {
		return errors.New("go.mod")
	}
	mf, err := modfile.Parse("go.mod", src, nil)
	if err != nil || mf.Module == nil {
		return errors.New("a valid go.mod")
	}
	r.Module = mf.Module.Mod.Path
	if !slices.ContainsFunc(mf.Tool, func(t *modfile.Tool) bool { return t.Path == wireTool }) {
		return fmt.Errorf("`tool %s` in go.mod", wireTool)
	}
	return nil
}

// path is rel, a slash-separated path in the repository, on disk.
func (r *Repo) path(rel string) string { return filepath.Join(r.Dir, filepath.FromSlash(rel)) }

// read reads rel, a file of the repository.
func (r *Repo) read(rel string) ([]byte, error) { return os.ReadFile(r.path(rel)) }

// exists reports whether rel exists in the repository; an error other
// than its absence is returned.
func (r *Repo) exists(rel string) (bool, error) {
	_, err := os.Stat(r.path(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// stat describes rel, a file of the repository.
func (r *Repo) stat(rel string) (fs.FileInfo, error) { return os.Stat(r.path(rel)) }
