package monitoring_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	dashboardFile = "grafana-dashboard.json"
	rulesFile     = "prometheus-rules.yaml"
	// serviceDir and frameworkPackages are where every kafka_consumer_*
	// metric name is declared, as a string literal handed to client_golang.
	serviceDir = "../../internal"
)

// frameworkPackages is the directory of the framework's packages (pkg/ of
// github.com/consumerkit/consumerkit) wherever the module running the test
// has them: this checkout when it is the framework's, else the directory
// its replace names or the module cache (a service made by `consumer new
// service` requires the framework instead of copying it). It is asked for
// a package's directory, not the module's: in a new service, the module
// path alone names the service's own module.
func frameworkPackages(t *testing.T) string {
	t.Helper()
	const probe = "github.com/consumerkit/consumerkit/pkg/message"
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", probe).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("go list %s: %v\n%s", probe, err, exit.Stderr)
	}
	if err != nil {
		t.Fatalf("go list %s: %v", probe, err)
	}
	dir := strings.TrimSpace(string(out))
	if filepath.Base(dir) != "message" {
		t.Fatalf("go list %s: directory %q", probe, dir)
	}
	return filepath.Dir(dir)
}

// --- the shapes of the files, only as far as the tests look ---

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"` // a string, or {"query": "..."} for query variables
}

// queryText returns a variable's query whichever form it is stored in.
func (v variable) queryText() (string, error) {
	if len(v.Query) == 0 {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v.Query, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &obj); err != nil {
		return "", fmt.Errorf("variable %q: query is neither a string nor an object: %w", v.Name, err)
	}
	return obj.Query, nil
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *datasourceRef `json:"datasource"`
	Targets     []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // the panels of a collapsed row
}

type ruleFile struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	} `yaml:"spec"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// query is one PromQL expression and where it was found, for messages.
type query struct {
	where string
	expr  string
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var r ruleFile
	if err := yaml.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return r
}

// allPanels flattens rows, collapsed or not.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func dashboardQueries(t *testing.T, d dashboard) []query {
	t.Helper()
	var qs []query
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := v.queryText()
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, query{where: fmt.Sprintf("%s: variable %q", dashboardFile, v.Name), expr: q})
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			qs = append(qs, query{where: fmt.Sprintf("%s: panel %q target %s", dashboardFile, p.Title, tg.RefID), expr: tg.Expr})
		}
	}
	return qs
}

func alerts(r ruleFile) []rule {
	var out []rule
	for _, g := range r.Spec.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

func ruleQueries(r ruleFile) []query {
	var qs []query
	for _, rl := range alerts(r) {
		name := rl.Alert
		if name == "" {
			name = rl.Record
		}
		qs = append(qs, query{where: fmt.Sprintf("%s: rule %q", rulesFile, name), expr: rl.Expr})
	}
	return qs
}
