// Package topics prepares the benchmark suite's topics on the broker and
// checks what a contender left behind: Ensure produces each topic once
// (and reuses one that already holds exactly its shape), and Verify says
// whether a group's committed offsets reached the end of every partition,
// listing every one that did not.
package topics

import (
	"errors"
	"fmt"
	"slices"
)

// Verify checks that group committed, on every partition of topic, the
// topic's end offset: end and committed map partitions to offsets. A
// partition with no commit, a commit short of or beyond the end, and a
// commit for a partition the topic does not have are each an error, all
// of them listed; nil means the group consumed and committed everything.
func Verify(topic, group string, end, committed map[int32]int64) error {
	if len(end) == 0 {
		return fmt.Errorf("topic %s: no partitions to verify", topic)
	}
	var errs []error
	for _, p := range sortedKeys(end) {
		c, ok := committed[p]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("partition %d: nothing committed, end offset %d", p, end[p]))
		case c < end[p]:
			errs = append(errs, fmt.Errorf("partition %d: committed %d, end offset %d (%d short)", p, c, end[p], end[p]-c))
		case c > end[p]:
			errs = append(errs, fmt.Errorf("partition %d: committed %d, beyond the end offset %d", p, c, end[p]))
		}
	}
	for _, p := range sortedKeys(committed) {
		if _, ok := end[p]; !ok {
			errs = append(errs, fmt.Errorf("partition %d: committed %d, but the topic has no such partition", p, committed[p]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("group %s on topic %s: committed offsets are not the end offsets:\n%w", group, topic, err)
	}
	return nil
}

func sortedKeys(m map[int32]int64) []int32 {
	keys := make([]int32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
