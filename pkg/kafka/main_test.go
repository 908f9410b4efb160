package kafka

import (
	"testing"

	"go.uber.org/goleak"
)

// Tests that need a broker (newTestBroker) live in files built without the
// brokerfree tag: `go test -tags brokerfree` runs only the broker-free
// ones (units, the rig, the fake-clock partition runs) in about two
// seconds, which is what makes mutation testing of the engine's units
// affordable (scripts/mutation.sh). `make test` builds without the tag and
// runs every test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
