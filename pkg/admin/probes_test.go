package admin_test

import (
	"errors"
	"net/http"
	"testing"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

func TestHealthzReflectsChecker(t *testing.T) {
	tests := []struct {
		name     string
		live     error
		wantCode int
		want     map[string]string
	}{
		{
			name:     "live",
			live:     nil,
			wantCode: http.StatusOK,
			want:     map[string]string{"status": "ok"},
		},
		{
			name:     "stalled",
			live:     errors.New("partition orders/3 stalled for 2m0s at offset 41"),
			wantCode: http.StatusServiceUnavailable,
			want: map[string]string{
				"status": "unavailable",
				"reason": "partition orders/3 stalled for 2m0s at offset 41",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checker := &fakeChecker{}
			checker.setLive(tt.live)
			// Readiness must not leak into liveness.
			checker.setReady(errors.New("not ready"))
			s := newServer(admin.DefaultConfig(), zap.NewAtomicLevel(), checker)

			res := serve(t, s.Handler(), http.MethodGet, "/healthz", "", "")
			checkProbe(t, "GET /healthz", res, tt.wantCode, tt.want)
		})
	}
}

func TestReadyzTurns503OnBeginShutdown(t *testing.T) {
	checker := &fakeChecker{}
	s := newServer(admin.DefaultConfig(), zap.NewAtomicLevel(), checker)
	h := s.Handler()
	ok := map[string]string{"status": "ok"}

	checkProbe(t, "ready", serve(t, h, http.MethodGet, "/readyz", "", ""), http.StatusOK, ok)

	checker.setReady(errors.New("not joined to group orders"))
	checkProbe(t, "not ready", serve(t, h, http.MethodGet, "/readyz", "", ""),
		http.StatusServiceUnavailable,
		map[string]string{"status": "unavailable", "reason": "not joined to group orders"})

	checker.setReady(nil)
	checkProbe(t, "ready again", serve(t, h, http.MethodGet, "/readyz", "", ""), http.StatusOK, ok)

	s.BeginShutdown()
	shuttingDown := map[string]string{"status": "unavailable", "reason": "shutting down"}
	checkProbe(t, "after BeginShutdown", serve(t, h, http.MethodGet, "/readyz", "", ""),
		http.StatusServiceUnavailable, shuttingDown)

	// Shutdown wins over whatever the checker says.
	checker.setReady(errors.New("not joined"))
	checkProbe(t, "after BeginShutdown, checker not ready", serve(t, h, http.MethodGet, "/readyz", "", ""),
		http.StatusServiceUnavailable, shuttingDown)

	// Liveness is unaffected by draining.
	checkProbe(t, "healthz while draining", serve(t, h, http.MethodGet, "/healthz", "", ""), http.StatusOK, ok)
}
