package scaffold

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// addTo adds h's subscription to the configuration file src.
func addTo(t *testing.T, src string, h Handler) string {
	t.Helper()
	c, err := parseConfig([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.addSubscription(h.Subscription(), "# "+h.Name+" is new.")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// decodeSubscriptions decodes kafka.subscriptions of a configuration
// file strictly, as the service's configuration does: an unknown field
// is an error.
func decodeSubscriptions(t *testing.T, src string) []registry.Subscription {
	t.Helper()
	var doc struct {
		Kafka struct {
			GroupID       string                  `yaml:"group_id"`
			Subscriptions []registry.Subscription `yaml:"subscriptions"`
		} `yaml:"kafka"`
		Service map[string]any `yaml:"service"`
	}
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return doc.Kafka.Subscriptions
}

// TestAddSubscriptionKeepsTheFileAndAppendsTheEntry: the service's own
// configuration file (comments on every level) gets the entry appended
// to kafka.subscriptions under its comment; every line it had is still
// there, in order, and what it decodes to is the old subscriptions and
// the handler's, its retry policy left to the engine's default.
func TestAddSubscriptionKeepsTheFileAndAppendsTheEntry(t *testing.T) {
	src, err := os.ReadFile("../../" + ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	before := decodeSubscriptions(t, string(src))
	h := Handler{Name: "payment-audit", Topic: "payments", Ordering: registry.OrderingKey, Workers: 8, RetryTopic: true}
	got := addTo(t, string(src), h)
	old, edited := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n"), strings.Split(got, "\n")
	i := 0
	for _, l := range edited {
		if i < len(old) && l == old[i] {
			i++
		}
	}
	if i < len(old) {
		t.Fatalf("line %d of the file, %q, is gone or moved:\n%s", i+1, old[i], got)
	}
	const entry = `
    # payment-audit is new.
    - topic: payments
      handler: payment-audit
      ordering: key
      workers: 8
      dead_letter:
        enabled: true
      retry_topic:
        enabled: true
`
	if !strings.Contains(got, entry) {
		t.Fatalf("no entry\n%s\nin\n%s", entry, got)
	}
	want := h.Subscription()
	want.Retry = registry.RetryPolicy{}
	if subs := decodeSubscriptions(t, got); fmt.Sprint(subs) != fmt.Sprint(append(before, want)) {
		t.Fatalf("decodes to\n%+v\nwant\n%+v", subs, append(before, want))
	}
}

// TestAddSubscriptionCreatesTheList: a file without kafka.subscriptions
// (the empty service's) gets the list, under the comment that ended the
// kafka section; one without kafka gets that too.
func TestAddSubscriptionCreatesTheList(t *testing.T) {
	h := Handler{Name: "audit", Topic: "audits", Batch: true}
	tests := []struct{ name, src, want string }{
		{"no subscriptions", `# The file.
kafka:
  # The group.
  group_id: payments
  # Subscriptions may be overridden here.
`, `# The file.
kafka:
  # The group.
  group_id: payments
  # Subscriptions may be overridden here.
  subscriptions:
    # audit is new.
    - topic: audits
      handler: audit
      ordering: partition
      batch:
        size: 100
        linger: 200ms
      dead_letter:
        enabled: true
`},
		{"an empty list", "kafka:\n  subscriptions: []\n", `kafka:
  subscriptions:
    # audit is new.
    - topic: audits
`},
		{"no kafka", "# Only comments.\nlog:\n  level: info\n", `# Only comments.
log:
  level: info
kafka:
  subscriptions:
    # audit is new.
    - topic: audits
`},
		{"an empty file", "", `kafka:
  subscriptions:
    # audit is new.
    - topic: audits
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := addTo(t, tt.src, h); !strings.HasPrefix(got, tt.want) {
				t.Fatalf("got\n%s\nwant it to start with\n%s", got, tt.want)
			}
		})
	}
}
