package consumerkit

import "testing"

// TestImportRulesTable pins each import rule with a case it must refuse
// and one it must allow, so a rule that stops firing (or fires too
// widely) fails here and not only when someone breaks the layout.
func TestImportRulesTable(t *testing.T) {
	const kafkaGo = "github.com/segmentio/kafka-go"
	for _, tt := range []struct {
		dir, imp string
		refused  bool
	}{
		{"pkg/message", "github.com/prometheus/client_golang/prometheus", true},
		{"pkg/lifecycle", module + "/pkg/message", true},
		{"pkg/message", "context", false},
		{"pkg/kafka", kafkaGo, false},
		{"pkg/kafka/embedded", "github.com/twmb/franz-go/pkg/kfake", false},
		{"pkg/admin", kafkaGo, true},
		{"internal/service", kafkaGo + "/protocol", true},
		{"pkg/kafka", module + "/internal/cache", true},
		{"pkg/watchdog", module + "/internal/cache", true},
		{"pkg/kafka", module + "/pkg/registry", false},
		{"pkg/config", module + "/internal/service", true},
		{"internal/app", module + "/internal/service/demo", true},
		{".", module + "/internal/service", false},
		{"internal/service/demo", module + "/internal/service", false},
		{"internal/service", module + "/pkg/kafka", true},
		{"internal/cache", module + "/pkg/kafka/publish", true},
		{"pkg/admin", module + "/pkg/kafka", true},
		{"pkg/watchdog", module + "/pkg/kafka", true},
		{"internal/service", module + "/pkg/registry", false},
		{"pkg/config", module + "/internal/app", true},
		{"cmd/consumer", module + "/internal/app", false},
		{".", module + "/internal/app", false},
		{"internal/app", module + "/cmd/consumer", true},
		{"internal/app", module, true},
		{"cmd/consumer", module, false},
	} {
		got := importProblem(tt.dir, tt.imp)
		if (got != "") != tt.refused {
			t.Errorf("%s importing %s: refused=%v (%q), want refused=%v", tt.dir, tt.imp, got != "", got, tt.refused)
		}
	}
}
