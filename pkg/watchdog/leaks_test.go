package watchdog

import (
	"reflect"
	"testing"
)

func TestGrowingBy(t *testing.T) {
	tests := []struct {
		hist            []int
		samples, growth int
		want            bool
	}{
		{[]int{1, 2, 3, 4}, 3, 3, true},
		{[]int{1, 2, 2, 4}, 3, 3, false},     // a step that did not rise
		{[]int{1, 2, 3, 3}, 3, 3, false},     // the last step did not rise
		{[]int{1, 5, 9}, 3, 3, false},        // fewer than samples+1 counts
		{[]int{10, 11, 12, 13}, 3, 4, false}, // rose at every step, but by 3 in all
		{[]int{10, 11, 12, 14}, 3, 4, true},
	}
	for _, tt := range tests {
		if got := growingBy(tt.hist, tt.samples, tt.growth); got != tt.want {
			t.Errorf("growingBy(%v, %d, %d) = %v", tt.hist, tt.samples, tt.growth, got)
		}
	}
}

// TestLeaksSuspectsSteadyGrowthAndClearsWhenItIsUndone follows one handler
// sample by sample (3 samples, growth 3): suspected once its count rose at
// each of 3 samples by 3 in all, still suspected while above its count 3
// samples ago, cleared once back to it. Only changes are reported.
func TestLeaksSuspectsSteadyGrowthAndClearsWhenItIsUndone(t *testing.T) {
	l := newLeaks(3, 3)
	for i, tt := range []struct {
		count     int
		changed   bool
		suspected bool
	}{
		{1, false, false},
		{2, false, false},
		{3, false, false}, // rising, but for 2 samples so far
		{4, true, true},   // rose at each of 3 samples, by 3 in all
		{5, false, true},  // still rising
		{5, false, true},  // flat, yet above its count 3 samples ago (3)
		{4, true, false},  // back to its count 3 samples ago (4)
		{5, false, false}, // one rise is not a leak
	} {
		changed := l.sample(map[string]int{"h": tt.count})
		if (len(changed) == 1) != tt.changed || l.suspected["h"] != tt.suspected {
			t.Fatalf("sample %d (count %d): changed %v, suspected %v; want changed %v, suspected %v (recent %v)",
				i+1, tt.count, changed, l.suspected["h"], tt.changed, tt.suspected, l.recent["h"])
		}
	}
}

// TestLeaksCountsAVanishedHandlerAsZero: a handler whose goroutines have
// all ended is absent from the profile; it counts as 0, which clears its
// suspicion and its published count. Changes come sorted by handler.
func TestLeaksCountsAVanishedHandlerAsZero(t *testing.T) {
	l := newLeaks(2, 2)
	for n := 1; n <= 3; n++ {
		changed := l.sample(map[string]int{"b": n, "a": n})
		if n == 3 && !reflect.DeepEqual(changed, []string{"a", "b"}) {
			t.Fatalf("rising a and b: changed %v, want [a b]", changed)
		}
	}
	if changed := l.sample(map[string]int{"b": 4}); !reflect.DeepEqual(changed, []string{"a"}) || l.last("a") != 0 || l.suspected["a"] {
		t.Fatalf("a gone: changed %v, last count %d, suspected %v; want a cleared at 0", changed, l.last("a"), l.suspected["a"])
	}
}
