package k8s_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func loadKustomization(t *testing.T) kustomization {
	t.Helper()
	raw, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if len(k.Resources) == 0 {
		t.Fatal("kustomization.yaml lists no resources")
	}
	return k
}

// decodeAll parses every YAML document of one file.
func decodeAll(file string) ([]object, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var objs []object
	for i := 0; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i, err)
		}
		if len(n.Content) == 0 || n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
			continue // an empty document, e.g. after a trailing ---
		}
		o := object{File: file, node: &n}
		if err := n.Decode(&o); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// loadObjects returns the base's objects: its resources, and the
// ConfigMaps its configMapGenerator makes (a key per file, named by the
// file, as kustomize names them before it appends the content hash).
func loadObjects(t *testing.T) []object {
	t.Helper()
	k := loadKustomization(t)
	var all []object
	for _, file := range k.Resources {
		objs, err := decodeAll(file)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, objs...)
	}
	for _, g := range k.ConfigMapGenerator {
		data := map[string]string{}
		for _, file := range g.Files {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("configMapGenerator %s: %v", g.Name, err)
			}
			data[filepath.Base(file)] = string(raw)
		}
		var n yaml.Node
		if err := n.Encode(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]string{"name": g.Name}, "data": data}); err != nil {
			t.Fatal(err)
		}
		all = append(all, object{File: "kustomization.yaml", APIVersion: "v1", Kind: "ConfigMap", Metadata: metadata{Name: g.Name}, node: &n})
	}
	return all
}

// only returns the one object of a kind and decodes it into out.
func only(t *testing.T, objs []object, kind string, out any) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s in the base, found %d", kind, len(found))
	}
	if err := found[0].node.Decode(out); err != nil {
		t.Fatalf("%s %s: %v", kind, found[0].Metadata.Name, err)
	}
	return found[0]
}

func configMaps(t *testing.T, objs []object) map[string]map[string]string {
	t.Helper()
	cms := map[string]map[string]string{}
	for _, o := range objs {
		if o.Kind != "ConfigMap" {
			continue
		}
		var cm configMap
		if err := o.node.Decode(&cm); err != nil {
			t.Fatalf("ConfigMap %s: %v", o.Metadata.Name, err)
		}
		cms[o.Metadata.Name] = cm.Data
	}
	return cms
}

func loadDeployment(t *testing.T, objs []object) deployment {
	t.Helper()
	var d deployment
	only(t, objs, "Deployment", &d)
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("want one container in the pod, found %d", n)
	}
	return d
}

func mainContainer(d deployment) container { return d.Spec.Template.Spec.Containers[0] }

// resolvePort turns a probe or Service target port (number or name) into the
// container port number it reaches, or fails.
func resolvePort(t *testing.T, c container, p intOrString) (name string, number int) {
	t.Helper()
	if n, err := strconv.Atoi(string(p)); err == nil {
		for _, cp := range c.Ports {
			if cp.ContainerPort == n {
				return cp.Name, n
			}
		}
		t.Fatalf("port %d is not a declared container port", n)
	}
	for _, cp := range c.Ports {
		if cp.Name == string(p) {
			return cp.Name, cp.ContainerPort
		}
	}
	t.Fatalf("port name %q is not a declared container port", p)
	return "", 0
}

// parseQuantity parses the memory quantities used here (plain bytes, binary
// Ki..Ti and decimal k..T suffixes).
func parseQuantity(q string) (int64, error) {
	suffixes := []struct {
		s string
		m int64
	}{
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	}
	mult := int64(1)
	num := q
	for _, s := range suffixes {
		if strings.HasSuffix(q, s.s) {
			mult, num = s.m, strings.TrimSuffix(q, s.s)
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("quantity %q: want a positive integer with an optional suffix", q)
	}
	return n * mult, nil
}
