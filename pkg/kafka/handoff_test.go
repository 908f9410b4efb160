package kafka

import (
	"testing"

	"github.com/consumerkit/consumerkit/pkg/kafka/publish"
)

// TestBlockedReasonNamesTargetAndKind: each of the four reasons of
// kafka_consumer_partition_blocked belongs to exactly one target and kind
// of failure (the README's advice differs between them).
func TestBlockedReasonNamesTargetAndKind(t *testing.T) {
	for _, c := range []struct {
		target   handoffTarget
		rejected bool
		want     string
	}{
		{toDeadLetter, false, blockedDeadLetterUnavailable},
		{toDeadLetter, true, blockedDeadLetterRejected},
		{toRetryTopic, false, blockedRetryTopicUnavailable},
		{toRetryTopic, true, blockedRetryTopicRejected},
	} {
		if got := blockedReason(c.target, c.rejected); got != c.want {
			t.Errorf("blockedReason(%d, rejected %v) = %s, want %s", c.target, c.rejected, got, c.want)
		}
	}
}

// TestLetterWriterIsItsOwnClient: the letter writer names itself apart
// from the handlers' Publisher (<group>-letters, in the broker's logs and
// quotas) and writes as every letter writer does (compressed, sized by the
// broker, one letter per request: publish's TestLetterOptions).
func TestLetterWriterIsItsOwnClient(t *testing.T) {
	if o, want := letterOptions("orders", true), publish.LetterOptions("orders-letters", true); o != want {
		t.Errorf("letter writer options %+v, want %+v", o, want)
	}
}
