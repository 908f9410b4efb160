package admin_test

import (
	"strings"
	"testing"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

// TestDebugListenerBeyondLoopbackNeedsATokenOrAnExplicitAllow: every form
// of a debug address that others can reach (every interface, written three
// ways; a pod IP; a host name, which is not resolved) is refused without a
// token, with a message naming the setting, why, and each way out; the
// same address is accepted with a token, a token file or the explicit
// allow. Every loopback form, and an empty address (the listener off), is
// accepted without either.
func TestDebugListenerBeyondLoopbackNeedsATokenOrAnExplicitAllow(t *testing.T) {
	exposed := []string{":6060", "0.0.0.0:6060", "[::]:6060", "10.0.0.5:6060", "[fd00::5]:6060",
		"consumer-0.consumer.svc:6060", "localhost.example.com:6060", "127.0.0.1.nip.io:6060"}
	local := []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060", "LocalHost:6060", "127.0.0.2:6060",
		"[::ffff:127.0.0.1]:6060", "127.0.0.1:0", ""}
	for _, addr := range exposed {
		t.Run("refused "+addr, func(t *testing.T) {
			errs := admin.Config{Addr: "127.0.0.1:9090", DebugAddr: addr}.Validate()
			if len(errs) != 1 {
				t.Fatalf("Validate = %v, want one refusal", errs)
			}
			msg := errs[0].Error()
			for _, want := range []string{"admin.debug_addr (DEBUG_ADDR) " + `"` + addr + `"`, "refused without a token",
				"heap and CPU profiles", "ADMIN_TOKEN or ADMIN_TOKEN_FILE", "127.0.0.1:6060", "kubectl port-forward",
				"DEBUG_ALLOW_UNAUTHENTICATED=true"} {
				if !strings.Contains(msg, want) {
					t.Errorf("refusal %q lacks %q", msg, want)
				}
			}
		})
		for name, cfg := range map[string]admin.Config{
			"a token":         {Token: "t"},
			"a token file":    {TokenFile: "/run/secrets/admin-token"},
			"the allow":       {DebugAllowUnauthenticated: true},
			"token and allow": {Token: "t", DebugAllowUnauthenticated: true},
		} {
			t.Run("accepted "+addr+" with "+name, func(t *testing.T) {
				cfg.Addr, cfg.DebugAddr = "127.0.0.1:9090", addr
				if errs := cfg.Validate(); len(errs) != 0 {
					t.Fatalf("Validate = %v, want none", errs)
				}
			})
		}
	}
	for _, addr := range local {
		t.Run("accepted "+addr, func(t *testing.T) {
			if errs := (admin.Config{Addr: "127.0.0.1:9090", DebugAddr: addr}).Validate(); len(errs) != 0 {
				t.Fatalf("Validate = %v, want none", errs)
			}
		})
	}
}

// TestConfigValidate: each listener's address must be host:port, naming
// its setting; an empty debug address turns the listener off, and "off"
// is not that; the two listeners cannot share a fixed port.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		addr, debugAddr string
		want            string // in the one error; "" for none
	}{
		{addr: "127.0.0.1:9090", debugAddr: "127.0.0.1:6060"},
		{addr: ":9090", debugAddr: "127.0.0.1:6060"},
		{addr: "127.0.0.1:9090", debugAddr: ""},
		{addr: "127.0.0.1:0", debugAddr: "127.0.0.1:0"},
		{addr: "9090", debugAddr: "127.0.0.1:6060", want: `admin.addr "9090": must be host:port`},
		{addr: "", debugAddr: "127.0.0.1:6060", want: `admin.addr "": must be host:port`},
		{addr: "127.0.0.1:9090", debugAddr: "off", want: `admin.debug_addr "off": must be host:port, or empty to turn the debug listener off`},
		{addr: "127.0.0.1:9090", debugAddr: "6060", want: `admin.debug_addr "6060": must be host:port`},
		{addr: "127.0.0.1:9090", debugAddr: "127.0.0.1:9090", want: `admin.debug_addr and admin.addr are both "127.0.0.1:9090"`},
	}
	for _, tt := range tests {
		t.Run(tt.addr+" "+tt.debugAddr, func(t *testing.T) {
			errs := admin.Config{Addr: tt.addr, DebugAddr: tt.debugAddr}.Validate()
			if tt.want == "" {
				if len(errs) != 0 {
					t.Errorf("Validate = %v, want no errors", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("Validate = %v, want one error containing %q", errs, tt.want)
			}
		})
	}
	if errs := admin.DefaultConfig().Validate(); len(errs) != 0 {
		t.Errorf("DefaultConfig().Validate() = %v, want no errors", errs)
	}
	if c := admin.DefaultConfig(); c.Addr != "127.0.0.1:9090" || c.DebugAddr != "127.0.0.1:6060" || c.Token != "" || c.DebugAllowUnauthenticated {
		t.Errorf("DefaultConfig() = %+v, want admin on 127.0.0.1:9090, debug on 127.0.0.1:6060, no token, no allow", c)
	}
}
