package scaffold

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// sourceFile is one file of the source that a new service gets: its path
// relative to the module root (slash-separated), content and mode.
type sourceFile struct {
	rel  string
	data []byte
	mode fs.FileMode
}

// serviceTrees are the directories a new service gets whole: the command,
// the service's own packages (internal/ holds only the service's: the
// framework's internal packages are under pkg/), and its manifests (the
// kustomize base, its overlays and components, the monitoring).
var serviceTrees = []string{"cmd", "internal", "deploy/k8s", "deploy/overlays", "deploy/components", "deploy/monitoring"}

// serviceScripts are the scripts a new service gets: removing the
// example, and the API server its manifests are checked against (make
// k8s-up, make deploy-check); the framework's others (the Kafka launcher,
// mutation testing) stay behind.
var serviceScripts = []string{"scripts/remove-example.sh", "scripts/k8s.sh"}

// serviceImageFiles build a new service's container image (`make image`):
// the Dockerfile, its context's ignore list, the script that stages and
// builds it, and podman's configuration for machines that have none.
// Renamed like every text file, the image is tagged and its DIAG_DIR
// named after the service, as its Deployment's is.
var serviceImageFiles = []string{"Dockerfile", ".dockerignore", "scripts/image.sh", "scripts/containers.conf"}

// serviceRootTests are the root package's tests that test the service
// (the Wire-built app, the demo faults, its stop order) and the helpers
// they share, which a new service gets. The root's other tests check the
// framework repository itself (its architecture, other modules using it,
// the README's walk-throughs, the scaffolding) and stay behind.
var serviceRootTests = []string{
	"app_test.go",
	"cluster_test.go",
	"demofault_process_test.go",
	"demofault_test.go",
	"goroutines_test.go",
	"harness_test.go",
	"logs_test.go",
	"main_test.go",
	"process_test.go",
	"stoporder_test.go",
	"tempcopy_test.go",
}

// serviceFiles reads every file of src that a new service gets: the trees
// above, the root package (its non-test files, and serviceRootTests), the
// scripts and the image's files. Hidden files, binaries (a command built in place, a test
// binary) and coverage profiles are build output, not sources: skipped.
func serviceFiles(src *serviceSource) ([]sourceFile, error) {
	var files []sourceFile
	add := func(rel string) error {
		path := filepath.Join(src.dir, filepath.FromSlash(rel))
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if bytes.IndexByte(data, 0) >= 0 || strings.HasSuffix(rel, ".out") {
			return nil
		}
		files = append(files, sourceFile{rel: rel, data: data, mode: info.Mode().Perm()})
		return nil
	}
	for _, tree := range serviceTrees {
		root := filepath.Join(src.dir, filepath.FromSlash(tree))
		err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(e.Name(), ".") {
				if e.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !e.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(src.dir, path)
			if err != nil {
				return err
			}
			return add(filepath.ToSlash(rel))
		})
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("read %s: %w", root, err)
		}
	}
	root, err := os.ReadDir(src.dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src.dir, err)
	}
	for _, e := range root {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".go") {
			continue
		}
		if strings.HasSuffix(name, "_test.go") && !slices.Contains(serviceRootTests, name) {
			continue
		}
		if err := add(name); err != nil {
			return nil, err
		}
	}
	for _, s := range slices.Concat(serviceScripts, serviceImageFiles) {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return files, nil
}
