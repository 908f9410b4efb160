package topics

import (
	"strings"
	"testing"
)

func TestVerifyPassesWhenEveryPartitionIsCommittedToItsEnd(t *testing.T) {
	end := map[int32]int64{0: 100, 1: 250, 2: 0}
	if err := Verify("t", "g", end, map[int32]int64{0: 100, 1: 250, 2: 0}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyListsEveryPartitionThatIsNotAtItsEnd(t *testing.T) {
	end := map[int32]int64{0: 100, 1: 100, 2: 50, 3: 10, 4: 7}
	committed := map[int32]int64{0: 100, 1: 99, 3: 11, 4: 7, 9: 3}
	err := Verify("orders", "bench-1", end, committed)
	if err == nil {
		t.Fatal("offsets short of the end: no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"group bench-1 on topic orders",
		"partition 1: committed 99, end offset 100 (1 short)",
		"partition 2: nothing committed, end offset 50",
		"partition 3: committed 11, beyond the end offset 10",
		"partition 9: committed 3, but the topic has no such partition",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	for _, unwanted := range []string{"partition 0", "partition 4"} {
		if strings.Contains(msg, unwanted) {
			t.Errorf("error %q names %s, which is at its end", msg, unwanted)
		}
	}
}

func TestVerifyFailsOnOneMessageShort(t *testing.T) {
	if err := Verify("t", "g", map[int32]int64{0: 1_000_000}, map[int32]int64{0: 999_999}); err == nil {
		t.Fatal("one message short: no error")
	}
}

func TestVerifyNeedsPartitions(t *testing.T) {
	if err := Verify("t", "g", nil, nil); err == nil {
		t.Fatal("a topic without partitions verified")
	}
}
