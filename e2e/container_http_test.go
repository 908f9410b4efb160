//go:build e2e && container

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// logValues are the string values of field in the entries of logs (JSON
// lines) with message msg, in order.
func logValues(logs, msg, field string) []string {
	var values []string
	for line := range strings.Lines(logs) {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != msg {
			continue
		}
		if v, ok := entry[field].(string); ok {
			values = append(values, v)
		}
	}
	return values
}

// get requests url once (with a bearer token when given) and returns the
// status and body; no connection outlives it.
func get(url, token string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// published is the host address podman published the container's TCP
// port on (`-p 127.0.0.1::PORT` lets podman pick a free one, which it
// holds).
func (c *container) published(t *testing.T, port int) string {
	t.Helper()
	return strings.TrimSpace(c.p.run(t, "port", c.name, strconv.Itoa(port)+"/tcp"))
}

// adminAddr is the address of the admin server of a container on the
// host network listening on port 0: of the addresses its log says it
// listens on, the one serving /metrics.
func (c *container) adminAddr(t *testing.T) string {
	t.Helper()
	var addr string
	consumertest.Eventually(t, "the admin server's address in the log of "+c.name, func() bool {
		c.running(t)
		logs := c.logs(t)
		for line := range strings.Lines(logs) {
			var entry struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &entry) != nil || !strings.HasSuffix(entry.Msg, "listening") || entry.Addr == "" {
				continue
			}
			if code, _, err := get("http://"+entry.Addr+"/metrics", ""); err == nil && code == http.StatusOK {
				addr = entry.Addr
				return true
			}
		}
		return false
	})
	return addr
}

// waitReady waits until the container's admin server says /readyz 200.
func (c *container) waitReady(t *testing.T, admin string) {
	t.Helper()
	consumertest.Eventually(t, "/readyz 200 from container "+c.name, func() bool {
		c.running(t)
		code, _, err := get("http://"+admin+"/readyz", "")
		return err == nil && code == http.StatusOK
	})
}
