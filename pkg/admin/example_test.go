package admin_test

import (
	"fmt"
	"io"
	"net/http/httptest"

	"go.uber.org/zap"

	"github.com/consumerkit/consumerkit/pkg/admin"
)

// alwaysHealthy is a Checker whose component is always live and ready.
type alwaysHealthy struct{}

func (alwaysHealthy) Live() error  { return nil }
func (alwaysHealthy) Ready() error { return nil }

func ExampleNew() {
	s := admin.New(admin.DefaultConfig(), admin.NewRegistry(), zap.NewAtomicLevel(), alwaysHealthy{}, zap.NewNop())

	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	res := rec.Result()
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)

	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
	fmt.Print(string(body))
	// Output:
	// 200 application/json
	// {"status":"ok"}
}
