package admin

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// checkExposure refuses a debug listener that anyone beyond this host
// could reach without a token: pprof hands out heap and CPU profiles and
// the command line, /debug/consumer the consumer's state, PUT /loglevel
// control over the logs. guarded says whether a token is configured. The
// error says why and each way out, by setting and environment variable,
// because it is what an operator sees when the pod refuses to start.
func (c Config) checkExposure(guarded bool) error {
	if c.DebugAddr == "" || guarded || c.DebugAllowUnauthenticated {
		return nil
	}
	host, port, err := net.SplitHostPort(c.DebugAddr)
	if err != nil || loopback(host) {
		return nil // a malformed address is reported as such by Validate
	}
	where := fmt.Sprintf("host %q is not a loopback address", host)
	if host == "" || isUnspecified(host) {
		where = "it listens on every interface"
	}
	return fmt.Errorf("admin.debug_addr (DEBUG_ADDR) %q is refused without a token: %s, and whoever reaches it could take heap and CPU profiles, read the command line and the consumer's state, and change the log level; "+
		"set a token with ADMIN_TOKEN or ADMIN_TOKEN_FILE (admin.token, admin.token_file), "+
		"or listen on loopback (127.0.0.1:%s, reached with kubectl port-forward), "+
		"or allow it explicitly with DEBUG_ALLOW_UNAUTHENTICATED=true (admin.debug_allow_unauthenticated)",
		c.DebugAddr, where, port)
}

// loopback reports whether host, as written in a listen address, names
// only this machine: "localhost" or a loopback IP (127.0.0.0/8, ::1, or
// either mapped into IPv6). Any other name is not resolved here: what it
// resolves to may change, so it counts as beyond loopback.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// isUnspecified reports whether host is 0.0.0.0 or ::, which bind every
// interface, as an empty host does.
func isUnspecified(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsUnspecified()
}
