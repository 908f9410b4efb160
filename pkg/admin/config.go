package admin

import (
	"fmt"
	"net"
)

// Config is the configuration of the admin server's two listeners.
//
// The admin listener (Addr) serves what the platform must reach: /metrics,
// /healthz, /readyz, and GET /loglevel, read-only (the level is no secret,
// and an operator checking it before changing it should not need the
// token). The debug listener (DebugAddr) serves what reveals or changes the
// process: /debug/pprof/, /debug/consumer and GET and PUT /loglevel, every
// route behind the token when one is set.
type Config struct {
	// Addr is the admin listener's host:port. The default binds loopback
	// only; the Kubernetes manifests set ":9090" for probes and Prometheus.
	Addr string `yaml:"addr"`
	// DebugAddr is the debug listener's host:port; empty turns the debug
	// listener off. The default binds loopback only, reached in a pod with
	// kubectl port-forward. An address beyond loopback needs a token, or
	// DebugAllowUnauthenticated (see Validate).
	DebugAddr string `yaml:"debug_addr"`
	// DebugAllowUnauthenticated allows DebugAddr beyond loopback without a
	// token: the operator's explicit choice, for a network that is
	// otherwise closed (a NetworkPolicy admitting only the profiler).
	DebugAllowUnauthenticated bool `yaml:"debug_allow_unauthenticated"`
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every route of the debug listener. It is a secret: config.Load takes
	// it from the environment or from TokenFile, never from a flag.
	Token string `yaml:"token"`
	// TokenFile is the file config.Load read Token from (its content, the
	// trailing newlines trimmed); the server itself only reads Token.
	TokenFile string `yaml:"token_file"`
}

// DefaultConfig listens on 127.0.0.1:9090 (admin) and 127.0.0.1:6060
// (debug), without a token.
func DefaultConfig() Config { return Config{Addr: "127.0.0.1:9090", DebugAddr: "127.0.0.1:6060"} }

// Validate returns every problem with the configuration, each naming its
// setting. A debug listener beyond loopback is refused unless a token is
// configured (Token or TokenFile: config.Load reads the file before the
// server starts) or DebugAllowUnauthenticated is set.
func (c Config) Validate() []error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("admin.addr %q: must be host:port: %v", c.Addr, err))
	}
	if c.DebugAddr == "" {
		return errs
	}
	_, port, err := net.SplitHostPort(c.DebugAddr)
	if err != nil {
		return append(errs, fmt.Errorf("admin.debug_addr %q: must be host:port, or empty to turn the debug listener off: %v", c.DebugAddr, err))
	}
	if c.DebugAddr == c.Addr && port != "0" {
		errs = append(errs, fmt.Errorf("admin.debug_addr and admin.addr are both %q: the debug listener needs a port of its own", c.Addr))
	}
	if err := c.checkExposure(c.Token != "" || c.TokenFile != ""); err != nil {
		errs = append(errs, err)
	}
	return errs
}
