package consumertest

import (
	"fmt"
	"strings"
	"sync"
)

// recorder is a TB that records failures instead of ending the test, so a
// test can see a helper fail and read what it said.
type recorder struct {
	mu     sync.Mutex
	fatals []string
	errs   []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

// failures returns every failure reported so far, fatal or not.
func (r *recorder) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(append(append([]string(nil), r.fatals...), r.errs...), "\n")
}
