package admin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxRequestBody bounds every admin request body. The largest body any
// admin route takes is PUT /loglevel's {"level":"debug"} (or a POST to
// /debug/pprof/symbol listing addresses, which go tool pprof needs only for
// profiles that lack symbols, and Go's own profiles carry them), so 4 KiB
// is ample. Without the bound a client that reaches the port, with no token
// configured (the default), made the server allocate gigabytes for one
// request.
const maxRequestBody = 4 << 10

// limitBody reads each request's body whole, up to maxRequestBody bytes,
// before any route sees it, and hands the route that copy. A longer body is
// refused with 413 after at most maxRequestBody+1 bytes were read, whatever
// the route and whether or not the route would read a body, and the
// connection is closed instead of drained (http.MaxBytesReader arranges
// that).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("request body too large: the limit is %d bytes", tooLarge.Limit),
				http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}
