package scaffold

import (
	"strings"
	"testing"
)

func TestNamesOfAHandler(t *testing.T) {
	tests := []struct {
		name string
		want Names
	}{
		{"payment-audit", Names{Name: "payment-audit", Type: "PaymentAudit", Constructor: "NewPaymentAudit", Const: "PaymentAuditName",
			Event: "PaymentAuditEvent", Param: "paymentAudit", File: "payment_audit.go", TestFile: "payment_audit_test.go"}},
		{"audit", Names{Name: "audit", Type: "Audit", Constructor: "NewAudit", Const: "AuditName",
			Event: "AuditEvent", Param: "audit", File: "audit.go", TestFile: "audit_test.go"}},
		// Initialisms are written as Go writes them; digits are kept.
		{"id-mapper-v2", Names{Name: "id-mapper-v2", Type: "IDMapperV2", Constructor: "NewIDMapperV2", Const: "IDMapperV2Name",
			Event: "IDMapperV2Event", Param: "idMapperV2", File: "id_mapper_v2.go", TestFile: "id_mapper_v2_test.go"}},
		{"http-2-json", Names{Name: "http-2-json", Type: "HTTP2JSON", Constructor: "NewHTTP2JSON", Const: "HTTP2JSONName",
			Event: "HTTP2JSONEvent", Param: "http2JSON", File: "http_2_json.go", TestFile: "http_2_json_test.go"}},
	}
	for _, tt := range tests {
		got, err := NamesOf(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("NamesOf(%q) = %+v, %v\nwant %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestNamesOfRefusesWhatIsNotAPlainKebabCaseName(t *testing.T) {
	kebab := "must be kebab-case"
	tests := []struct{ name, why string }{
		{"", kebab},
		{"Payment", kebab},
		{"paymentAudit", kebab},
		{"payment_audit", kebab},
		{"payment audit", kebab},
		{"payment.audit", kebab},
		{"-payment", kebab},
		{"payment-", kebab},
		{"payment--audit", kebab},
		{"1payment", kebab},
		{"{payment", kebab},
		{"`payment", kebab},
		{"paymént", kebab},
		// Its file would not be an ordinary Go file.
		{"payment-test", "payment_test.go would be a test file"},
		{"audit-linux", "audit_linux.go would build on one platform only"},
		{"audit-arm64", "audit_arm64.go would build on one platform only"},
		{"audit-windows-amd64", "audit_windows_amd64.go would build on one platform only"},
	}
	for _, tt := range tests {
		_, err := NamesOf(tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), "handler name") {
			t.Errorf("NamesOf(%q): %v, want an error saying %q", tt.name, err, tt.why)
		}
	}
	// A platform's name is fine where it does not end the file name; a
	// name may start with any letter.
	for _, ok := range []string{"linux-audit", "zone-audit", "a1"} {
		if _, err := NamesOf(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
