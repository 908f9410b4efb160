package consumertest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Scrape gets url once (an admin server's /metrics, say) and returns the
// metric families it served, parsed as Parse does, for CounterValue,
// GaugeValue, Samples and Sum. It fails t when the request fails or
// takes longer than Patience, or when the answer is not a 200 that
// parses. It leaves no connection open.
func Scrape(t TB, url string) prometheus.Gatherer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
		return unread()
	}
	// A transport of its own, without keep-alives: no connection (and no
	// client goroutine) outlives the scrape to trip a leak check.
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
		return unread()
	}
	defer resp.Body.Close()
	return Parse(t, resp)
}

// Parse reads the metric families of a /metrics response, in the format
// its Content-Type names (Prometheus text or delimited protobuf), with
// expfmt: labels are read as the format defines them, never matched in
// the text. It fails t when the status is not 200 or the body does not
// parse. The body is read but not closed.
func Parse(t TB, resp *http.Response) prometheus.Gatherer {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512)) // for the message only
		t.Fatalf("metrics: status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
		return unread()
	}
	dec := expfmt.NewDecoder(resp.Body, expfmt.ResponseFormat(resp.Header))
	var fams []*dto.MetricFamily
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("metrics: parse: %v", err)
			return unread()
		}
		fams = append(fams, mf)
	}
	slices.SortFunc(fams, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return fams, nil })
}

// unread is what a failed Scrape or Parse returns to a fake TB that did
// not stop the test: a gatherer that says why it has nothing.
func unread() prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return nil, errors.New("metrics could not be read (see the failure above)")
	})
}
