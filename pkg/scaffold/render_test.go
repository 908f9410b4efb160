package scaffold

import (
	"go/format"
	"strings"
	"testing"
)

// TestGeneratedHandlerFollowsItsOptions: for each shape of handler, the
// generated file and test are gofmt-clean, have one TODO where the
// business logic goes, refuse undecodable input permanently, and expect
// what the engine does under the handler's subscription. (That the code
// compiles, vets and passes its own test, each shape in a service,
// TestAddingAHandlerFollowsTheReadme in the root package shows.)
func TestGeneratedHandlerFollowsItsOptions(t *testing.T) {
	const permanent = `return message.Permanent(fmt.Errorf("decode %s event: %w", AuditName, err))`
	tests := []struct {
		name               string
		h                  Handler
		code, test, absent []string
	}{
		{"per message", Handler{Name: "audit", Topic: "audits"},
			[]string{"func (h *Audit) Handle(ctx context.Context, m *message.Message) error {", "registry.Handler(AuditName, h,", permanent,
				"Ordering:   registry.OrderingPartition,", "DeadLetter: registry.DeadLetterConfig{Enabled: true},",
				"the message is retried.", "the message is dead-lettered to audits.dlq."},
			[]string{`d.Letter.Topic != "audits.dlq"`, "handlertest.Retried"},
			[]string{"Workers:", "RetryTopic:", "Batch", `"time"`}},
		{"batch", Handler{Name: "audit", Topic: "audits", Batch: true},
			[]string{"func (h *Audit) HandleBatch(ctx context.Context, msgs []*message.Message) error {", "registry.Batch(AuditName, h,",
				"Batch:      registry.BatchConfig{Size: 100, Linger: 200 * time.Millisecond},", "return &message.BatchError{Failed: failed}",
				"failed[i] = message.Permanent(fmt.Errorf(\"decode %s event: %w\", AuditName, err))"},
			[]string{`d.Letter.Topic != "audits.dlq"`, "handlertest.Retried"},
			[]string{"Workers:", "RetryTopic:", ") Handle("}},
		{"key ordering", Handler{Name: "audit", Topic: "audits", Ordering: "key", Workers: 8},
			[]string{permanent, "Ordering:   registry.OrderingKey,", "Workers:    8,", "key order (8 workers per partition"},
			[]string{"handlertest.DeadLettered"}, []string{"RetryTopic:", "Batch"}},
		{"retry topic", Handler{Name: "audit", Topic: "audits", RetryTopic: true},
			[]string{permanent, "RetryTopic: registry.RetryTopicConfig{Enabled: true},", "retried in place, then in rounds through audits.retry"},
			[]string{"handlertest.Rescheduled", `d.Letter.Topic != "audits.retry"`, "handlertest.Retried"}, []string{"Batch"}},
		{"no order, no dead letters", Handler{Name: "audit", Topic: "audits", Ordering: "none", NoDeadLetter: true},
			[]string{permanent, "Ordering: registry.OrderingNone,", "Workers:  4,", "logged as failed and skipped"},
			[]string{"handlertest.Failed"}, []string{"DeadLetter", ".dlq", "handlertest.DeadLettered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := NamesOf(tt.h.Name)
			if err != nil {
				t.Fatal(err)
			}
			code, err := render("handler.go.tmpl", newHandlerData(tt.h, n))
			if err != nil {
				t.Fatal(err)
			}
			test, err := render("handler_test.go.tmpl", newHandlerData(tt.h, n))
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range [][]byte{code, test} {
				if formatted, err := format.Source(src); err != nil || string(formatted) != string(src) {
					t.Errorf("not gofmt-clean (%v):\n%s", err, src)
				}
			}
			if c := strings.Count(string(code), "TODO"); c != 1 {
				t.Errorf("%d TODOs, want one:\n%s", c, code)
			}
			// Comments are wrapped: compare words.
			words := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "//", "")), " ") }
			for _, w := range tt.code {
				if !strings.Contains(words(string(code)), words(w)) {
					t.Errorf("the handler has no %q:\n%s", w, code)
				}
			}
			for _, w := range append(tt.test, "handlertest.VerifyNoLeaks(t,", "handlertest.New(reg).Use(failFirst)") {
				if !strings.Contains(string(test), w) {
					t.Errorf("the test has no %q:\n%s", w, test)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(string(code), a) || strings.Contains(string(test), a) {
					t.Errorf("generated %q, which this handler does not have:\n%s\n%s", a, code, test)
				}
			}
		})
	}
}
