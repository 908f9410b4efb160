//go:build network && !brokerfree

package kafka

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"
)

// networkRig is a misbehaving network between the test's clients and
// the real broker: an in-process toxiproxy listening on the address the
// broker advertises (KAFKA_BROKERS), forwarding to where the broker
// listens (KAFKA_UPSTREAM). Since the broker advertises the proxy, every
// connection goes through it: bootstrap, fetches, the group
// coordinator, commits, produce. Start the broker for it with
//
//	KAFKA_PORT=9092 KAFKA_ADVERTISED_PORT=9192 scripts/kafka.sh up
//
// and run `make test-network` with the same two settings.
type networkRig struct {
	t        testing.TB
	proxy    *toxiproxy.Proxy
	listen   string // the proxy, as the broker advertises it
	upstream string // the broker's own listener
	script   string // scripts/kafka.sh, to crash and restart the broker
	resets   atomic.Int32
}

// newNetworkRig starts the proxy and returns it with the test broker
// reached through it. Missing settings, a broker that cannot be reached,
// or one that does not advertise the proxy, fail the test.
func newNetworkRig(t *testing.T) (*networkRig, *testBroker) {
	t.Helper()
	listen, upstream := os.Getenv("KAFKA_BROKERS"), os.Getenv("KAFKA_UPSTREAM")
	if listen == "" || upstream == "" || strings.Contains(listen, ",") {
		t.Fatalf("the network tests need KAFKA_BROKERS (one address: the port the broker advertises, where the proxy listens) and KAFKA_UPSTREAM (the broker's listener); got %q and %q: start the broker with KAFKA_PORT=9092 KAFKA_ADVERTISED_PORT=9192 scripts/kafka.sh up and run make test-network", listen, upstream)
	}
	script, err := filepath.Abs("../../scripts/kafka.sh")
	if err != nil {
		t.Fatal(err)
	}
	r := &networkRig{t: t, listen: listen, upstream: upstream, script: script}
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	r.proxy = toxiproxy.NewProxy(server, "kafka", listen, upstream)
	if err := r.proxy.Start(); err != nil {
		t.Fatalf("start the proxy on %s (KAFKA_BROKERS): %v", listen, err)
	}
	t.Cleanup(r.proxy.Stop)
	b := newTestBroker(t)
	r.assertAdvertisesProxy()
	return r, b
}

// assertAdvertisesProxy fails the test unless the broker, asked directly,
// names the proxy as its address: otherwise clients would bypass it.
func (r *networkRig) assertAdvertisesProxy() {
	r.t.Helper()
	c, err := kafkago.DialContext(context.Background(), "tcp", r.upstream)
	if err != nil {
		r.t.Fatalf("broker at %s (KAFKA_UPSTREAM) unreachable: %v", r.upstream, err)
	}
	defer c.Close()
	brokers, err := c.Brokers()
	if err != nil {
		r.t.Fatalf("metadata of %s: %v", r.upstream, err)
	}
	for _, b := range brokers {
		if addr := net.JoinHostPort(b.Host, fmt.Sprint(b.Port)); addr != r.listen {
			r.t.Fatalf("the broker advertises %s, not the proxy %s: start it with KAFKA_ADVERTISED_PORT set to the proxy's port", addr, r.listen)
		}
	}
}

// toxic adds a toxic of kind with attributes on stream ("downstream":
// broker to client, "upstream": client to broker) to every connection,
// open or new, and returns what removes it.
func (r *networkRig) toxic(kind, stream string, attributes string) (remove func()) {
	r.t.Helper()
	name := kind + "-" + stream
	body := fmt.Sprintf(`{"name": %q, "type": %q, "stream": %q, "attributes": %s}`, name, kind, stream, attributes)
	if _, err := r.proxy.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
		r.t.Fatalf("add toxic %s: %v", body, err)
	}
	removed := false
	remove = func() {
		if !removed {
			removed = true
			if err := r.proxy.Toxics.RemoveToxic(context.Background(), name); err != nil {
				r.t.Errorf("remove toxic %s: %v", name, err)
			}
		}
	}
	r.t.Cleanup(remove)
	return remove
}

// resetEvery resets, every period, each connection through the proxy
// that carries anything from the broker within the next window: a
// reset_peer toxic (timeout 0: RST at once, what was in flight lost) is
// added for window and removed again. Kafka's clients talk at least
// every second (fetches wait at most fetch_max_wait, 1s; heartbeats
// every 500ms), so a window of 1.5s resets every connection in use.
// toxiproxy's own reset_peer with a timeout would not do: it holds the
// first data it sees until it resets. The returned func stops it.
func (r *networkRig) resetEvery(period, window time.Duration) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			_, err := r.proxy.Toxics.AddToxicJson(strings.NewReader(`{"name": "reset", "type": "reset_peer", "stream": "downstream", "attributes": {"timeout": 0}}`))
			if err != nil {
				r.t.Errorf("add reset_peer: %v", err)
				return
			}
			select {
			case <-done:
			case <-time.After(window):
			}
			if err := r.proxy.Toxics.RemoveToxic(context.Background(), "reset"); err != nil {
				r.t.Errorf("remove reset_peer: %v", err)
				return
			}
			r.resets.Add(1)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(done); <-stopped }) }
	r.t.Cleanup(stop)
	return stop
}

// broker runs scripts/kafka.sh with command (kill, start, status) on the
// broker of KAFKA_PORT and KAFKA_STATE_DIR, as the environment says.
func (r *networkRig) broker(command string) {
	r.t.Helper()
	cmd := exec.Command(r.script, command)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("scripts/kafka.sh %s: %v\n%s", command, err, out)
	}
	r.t.Logf("scripts/kafka.sh %s: %s", command, strings.TrimSpace(string(out)))
}

// group describes the consumer group as the broker sees it, asked
// directly on its own listener: it works while the proxy drops
// everything.
func (r *networkRig) group(id string) (state string, members []string) {
	r.t.Helper()
	direct := &kafkago.Transport{Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, r.upstream)
	}}
	defer direct.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(r.upstream), Timeout: 10 * time.Second, Transport: direct}
	res, err := client.DescribeGroups(context.Background(), &kafkago.DescribeGroupsRequest{GroupIDs: []string{id}})
	if err != nil || len(res.Groups) != 1 || res.Groups[0].Error != nil {
		r.t.Fatalf("describe group %s at %s: %v %+v", id, r.upstream, err, res)
	}
	for _, m := range res.Groups[0].Members {
		members = append(members, m.MemberID)
	}
	return res.Groups[0].GroupState, members
}

// membership is the member id and generation of e's current generation,
// as its partitions know them; ok is false while it owns none.
func membership(e *engineUnderTest) (member string, generation int32, ok bool) {
	e.live.each(func(p *partitionRun) {
		member, generation, ok = p.gen.gen.MemberID, p.gen.gen.ID, true
	})
	return member, generation, ok
}
