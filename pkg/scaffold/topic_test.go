package scaffold

import (
	"strings"
	"testing"
)

func TestValidateTopicFollowsKafkasRules(t *testing.T) {
	for _, ok := range []string{"payments", "Payments.V2", "a_b-c.d", "a", "...", strings.Repeat("t", 249), "azAZ09", "z"} {
		if err := ValidateTopic(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	tests := []struct{ topic, why string }{
		{"", "must not be empty"},
		{".", `Kafka does not allow "."`},
		{"..", `Kafka does not allow ".."`},
		{strings.Repeat("t", 250), "250 characters, Kafka allows at most 249"},
		{"pay ments", `' ' is not allowed`},
		{"payments/eu", `'/' is not allowed`},
		{"paymënts", `'ë' is not allowed`},
		// The neighbours of the allowed ranges.
		{"a`", "'`' is not allowed"},
		{"a{", "'{' is not allowed"},
		{"a@", "'@' is not allowed"},
		{"a[", "'[' is not allowed"},
		{"a/", "'/' is not allowed"},
		{"a:", "':' is not allowed"},
	}
	for _, tt := range tests {
		if err := ValidateTopic(tt.topic); err == nil || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("%q: %v, want an error saying %q", tt.topic, err, tt.why)
		}
	}
}
