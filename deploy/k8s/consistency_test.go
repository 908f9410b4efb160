package k8s_test

import (
	"testing"
)

// TestEveryKustomizationKeepsEveryRule renders the base and each overlay
// and runs every check on it: what `kubectl apply -k` would send is what
// the binary, its configuration and its admin server expect.
func TestEveryKustomizationKeepsEveryRule(t *testing.T) {
	ts, err := targets()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		t.Run(tg.name, func(t *testing.T) {
			r, err := render(tg.dir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := analyze(r)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range checks() {
				if err := c.fn(p); err != nil {
					t.Errorf("%s:\n%v", c.name, err)
				}
			}
		})
	}
}
