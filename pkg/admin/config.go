package admin

import (
	"fmt"
	"net"
)

// Config is the admin listener's configuration.
type Config struct {
	// Addr is host:port to listen on. The default binds loopback only; the
	// Kubernetes manifests set ":9090".
	Addr string `yaml:"addr"`
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// /debug/* and PUT /loglevel.
	Token string `yaml:"token"`
}

// DefaultConfig listens on 127.0.0.1:9090 without a token.
func DefaultConfig() Config { return Config{Addr: "127.0.0.1:9090"} }

// Validate returns every problem with the configuration.
func (c Config) Validate() []error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return []error{fmt.Errorf("admin.addr %q: must be host:port: %v", c.Addr, err)}
	}
	return nil
}
