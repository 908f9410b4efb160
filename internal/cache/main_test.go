package cache_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops every cache it builds; goleak proves ccache's worker
// goroutines are gone, which is the F2 guarantee this package exists for.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
