package consumertest

// TB is what the kit needs of a test. *testing.T, *testing.B and
// *testing.F satisfy it, and so does a fake that records failures, which
// is how the kit's own tests, and its examples, see a helper fail.
//
// Contract: a helper that calls Fatalf returns right after it, so a fake
// whose Fatalf does not stop the goroutine sees the helper end; its
// return value is then meaningless.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}
