package conn

// Brokers says where the brokers are: the configured bootstrap list, or
// the address of the embedded broker (package embedded). Clients ask at
// their Start, never at construction, because the embedded broker's
// address exists only once it started; Addrs returns a copy the caller may
// keep.
type Brokers interface {
	Addrs() []string
}
