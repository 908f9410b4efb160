package scaffold

import (
	"fmt"
	"strings"
)

// maxTopicLength is Kafka's limit on a topic name's length.
const maxTopicLength = 249

// ValidateTopic returns an error saying why Kafka would refuse topic as a
// topic name: it must be 1 to 249 characters of ASCII letters, digits,
// '.', '_' and '-', and neither "." nor "..".
func ValidateTopic(topic string) error {
	if topic == "" {
		return fmt.Errorf("topic: must not be empty")
	}
	if topic == "." || topic == ".." {
		return fmt.Errorf("topic %q: Kafka does not allow %q", topic, topic)
	}
	if len(topic) > maxTopicLength {
		return fmt.Errorf("topic %q: %d characters, Kafka allows at most %d", topic, len(topic), maxTopicLength)
	}
	if i := strings.IndexFunc(topic, func(r rune) bool { return !topicRune(r) }); i >= 0 {
		return fmt.Errorf("topic %q: %q is not allowed: Kafka topic names use ASCII letters, digits, '.', '_' and '-'", topic, []rune(topic[i:])[0])
	}
	return nil
}

func topicRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-'
}
