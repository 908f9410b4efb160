package kafka

import (
	"testing"

	kafkago "github.com/segmentio/kafka-go"
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
// quotas), compresses, and leaves the size limit to the broker. (That a
// producer's writer takes these options is publish's test.)
func TestLetterWriterIsItsOwnClient(t *testing.T) {
	o := letterOptions("orders", true)
	if o.ClientID != "orders-letters" || !o.AutoCreateTopics {
		t.Errorf("client id %q, auto-create %v; want orders-letters, true", o.ClientID, o.AutoCreateTopics)
	}
	if o.Compression != kafkago.Lz4 || o.BatchBytes != maxLetterBytes {
		t.Errorf("compression %v, batch bytes %d", o.Compression, o.BatchBytes)
	}
}
