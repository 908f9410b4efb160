package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// document is the configuration file's shape: the framework's sections
// and the service's side by side at the top level, as one struct built at
// run time (config cannot name the service's type), so the file is decoded
// and printed in one pass, and an unknown field anywhere is reported with
// its line. Top-level keys that neither knows land in Unknown.
type document struct {
	v       reflect.Value // the struct: Framework, [Service,] Unknown
	service bool
}

// newDocument holds cfg and a copy of *svc (svc may be nil); it fails when
// svc is not a pointer to a struct.
func newDocument(cfg Config, svc Section) (document, error) {
	fields := []reflect.StructField{{Name: "Framework", Type: reflect.TypeFor[Config](), Tag: `yaml:",inline"`}}
	if svc != nil {
		if err := checkSection(svc); err != nil {
			return document{}, err
		}
		fields = append(fields, reflect.StructField{Name: "Service", Type: reflect.TypeOf(svc).Elem(), Tag: `yaml:",inline"`})
	}
	fields = append(fields, reflect.StructField{Name: "Unknown", Type: reflect.TypeFor[map[string]yaml.Node](), Tag: `yaml:",inline"`})
	d := document{v: reflect.New(reflect.StructOf(fields)).Elem(), service: svc != nil}
	if names := d.sections(); len(slices.Compact(slices.Clone(names))) != len(names) {
		return document{}, fmt.Errorf("config: the service's section %T names a section the framework has (sections: %s)", svc, strings.Join(names, ", "))
	}
	d.v.Field(0).Set(reflect.ValueOf(cfg))
	if d.service {
		d.v.Field(1).Set(reflect.ValueOf(svc).Elem())
	}
	return d, nil
}

// checkSection reports a section that is not a non-nil pointer to a
// struct: an error of the program.
func checkSection(svc Section) error {
	v := reflect.ValueOf(svc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: the service's section is a %T (%v); it must be a non-nil pointer to a struct of sections", svc, svc)
	}
	return nil
}

// into copies the document's sections back to cfg and svc.
func (d document) into(cfg *Config, svc Section) {
	*cfg = d.v.Field(0).Interface().(Config)
	if d.service {
		reflect.ValueOf(svc).Elem().Set(d.v.Field(1))
	}
}

// sections lists the known top-level section names, sorted.
func (d document) sections() []string {
	var names []string
	for i := range d.v.NumField() - 1 { // all but Unknown
		t := d.v.Field(i).Type()
		for j := range t.NumField() {
			if name, _, _ := strings.Cut(t.Field(j).Tag.Get("yaml"), ","); name != "" && name != "-" {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// decodeFile overlays the YAML file on cfg and svc; sections and fields it
// does not know are errors (a typo must not silently fall back to a
// default).
func decodeFile(src Source, path string, cfg *Config, svc Section) error {
	data, err := src.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	d, err := newDocument(*cfg, svc)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var errs []error
	if err := dec.Decode(d.v.Addr().Interface()); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return fmt.Errorf("config file %s: %w", path, err)
		}
		for _, e := range te.Errors {
			errs = append(errs, fmt.Errorf("config file %s: %s", path, e))
		}
	}
	unknown := d.v.Field(d.v.NumField() - 1).Interface().(map[string]yaml.Node)
	names := slices.Sorted(maps.Keys(unknown))
	lines := keyLines(data)
	slices.SortFunc(names, func(a, b string) int { return lines[a] - lines[b] })
	for _, name := range names {
		errs = append(errs, fmt.Errorf("config file %s: line %d: unknown section %q (known: %s)",
			path, lines[name], name, strings.Join(d.sections(), ", ")))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d.into(cfg, svc)
	return nil
}

// keyLines maps each top-level key of a YAML mapping document to its line.
func keyLines(data []byte) map[string]int {
	var doc yaml.Node
	lines := map[string]int{}
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return lines // only reached for a document the decoder took as a mapping
	}
	m := doc.Content[0].Content // key, value, key, value, ...
	for i := 0; i < len(m); i += 2 {
		lines[m[i].Value] = m[i].Line
	}
	return lines
}

// Print writes the whole configuration, the framework's sections then the
// service's (svc may be nil), as YAML with secrets redacted.
func Print(w io.Writer, cfg Config, svc Section) error {
	d, err := newDocument(cfg.Redacted(), svc)
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(d.v.Interface()); err != nil {
		return fmt.Errorf("print config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("print config: %w", err)
	}
	return nil
}
