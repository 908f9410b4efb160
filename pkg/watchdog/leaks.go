package watchdog

import "slices"

// leaks decides, sample by sample, which handlers' goroutines grow like a
// leak. It is the watchdog's judgement without its clock or its profile
// reads, so that every rule can be checked sample by sample.
type leaks struct {
	samples, growth int
	recent          map[string][]int // per handler, oldest first, at most samples+1
	suspected       map[string]bool
}

func newLeaks(samples, growth int) *leaks {
	return &leaks{samples: samples, growth: growth, recent: map[string][]int{}, suspected: map[string]bool{}}
}

// sample records each handler's goroutine count at one sample — a handler
// seen before and absent from counts has none left — and returns the
// handlers whose suspicion changed, sorted. A handler becomes suspected
// when its count rose at each of the last samples samples by growth in
// all; it is cleared once its count no longer rises at every sample and is
// no higher than samples samples ago.
func (l *leaks) sample(counts map[string]int) []string {
	for h := range counts {
		if _, ok := l.recent[h]; !ok {
			l.recent[h] = nil
		}
	}
	var changed []string
	for h, hist := range l.recent {
		hist = append(hist, counts[h])
		if len(hist) > l.samples+1 {
			hist = hist[1:]
		}
		l.recent[h] = hist
		was := l.suspected[h]
		now := growingBy(hist, l.samples, l.growth) || (was && hist[len(hist)-1] > hist[0])
		if now != was {
			l.suspected[h] = now
			changed = append(changed, h)
		}
	}
	slices.Sort(changed)
	return changed
}

// last returns h's count at the latest sample.
func (l *leaks) last(h string) int {
	hist := l.recent[h]
	return hist[len(hist)-1]
}

// growingBy reports whether the last samples+1 counts rose at every step
// and by at least growth in all.
func growingBy(hist []int, samples, growth int) bool {
	if len(hist) < samples+1 {
		return false
	}
	for i := 1; i < len(hist); i++ {
		if hist[i] <= hist[i-1] {
			return false
		}
	}
	return hist[len(hist)-1]-hist[0] >= growth
}
