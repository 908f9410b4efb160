package main

import (
	"testing"

	"github.com/consumerkit/consumerkit/pkg/scaffold/scaffoldtest"
)

// copyModule copies this module (two directories up) into a new
// temporary directory: a service repository to run `consumer new` in.
func copyModule(t *testing.T) string {
	t.Helper()
	return scaffoldtest.CopyModule(t, "../..")
}
