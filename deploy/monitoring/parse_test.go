package monitoring_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var severities = []string{"info", "warning", "critical"}

// TestDashboardAndRulesParse checks the shape of both files field by field.
// (Long: one pass over each file, every field checked where it is read.)
func TestDashboardAndRulesParse(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("%s: the dashboard needs a uid and a title", dashboardFile)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("%s: schemaVersion %d; want 36 or later (datasource variables by uid)", dashboardFile, d.SchemaVersion)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("%s: want a datasource variable named datasource of Prometheus data sources; got %+v", dashboardFile, v)
	}
	if q, err := vars["topic"].queryText(); err != nil || !strings.HasPrefix(q, "label_values(kafka_consumer_messages_total") || !strings.HasSuffix(q, ", topic)") {
		t.Errorf("%s: want a topic variable from label_values(kafka_consumer_messages_total…, topic); got %q (%v)", dashboardFile, q, err)
	}
	ids := map[int]string{}
	graphs := 0
	for _, p := range allPanels(d.Panels) {
		if prev, ok := ids[p.ID]; ok {
			t.Errorf("%s: panels %q and %q share id %d", dashboardFile, prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			continue
		}
		graphs++
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s: panel %q has no description saying what to look for", dashboardFile, p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("%s: panel %q must use the ${datasource} variable, not a fixed data source", dashboardFile, p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", dashboardFile, p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: panel %q target %s has an empty expr", dashboardFile, p.Title, tg.RefID)
			}
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: panel %q: refId %q is empty or repeated", dashboardFile, p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
		}
	}
	if graphs == 0 {
		t.Errorf("%s: no panels", dashboardFile)
	}

	r := loadRules(t)
	if r.APIVersion != "monitoring.coreos.com/v1" || r.Kind != "PrometheusRule" || r.Metadata.Name == "" {
		t.Errorf("%s: want a named monitoring.coreos.com/v1 PrometheusRule; got %s %s %q", rulesFile, r.APIVersion, r.Kind, r.Metadata.Name)
	}
	if len(r.Spec.Groups) != 1 || r.Spec.Groups[0].Name != "consumerkit" {
		t.Errorf("%s: want the one group consumerkit", rulesFile)
	}
	seen := map[string]bool{}
	rules := alerts(r)
	if len(rules) == 0 {
		t.Fatalf("%s: no rules", rulesFile)
	}
	for _, rl := range rules {
		if rl.Alert == "" {
			t.Errorf("%s: a rule without an alert name (expr %q)", rulesFile, rl.Expr)
			continue
		}
		if seen[rl.Alert] {
			t.Errorf("%s: alert %s defined twice", rulesFile, rl.Alert)
		}
		seen[rl.Alert] = true
		if strings.TrimSpace(rl.Expr) == "" {
			t.Errorf("%s: alert %s has no expr", rulesFile, rl.Alert)
		}
		if _, err := time.ParseDuration(rl.For); err != nil {
			t.Errorf("%s: alert %s: for %q: %v", rulesFile, rl.Alert, rl.For, err)
		}
		if !slices.Contains(severities, rl.Labels["severity"]) {
			t.Errorf("%s: alert %s: severity %q; want one of %v", rulesFile, rl.Alert, rl.Labels["severity"], severities)
		}
		for _, a := range []string{"summary", "description"} {
			if strings.TrimSpace(rl.Annotations[a]) == "" {
				t.Errorf("%s: alert %s has no %s annotation", rulesFile, rl.Alert, a)
			}
		}
	}
}
