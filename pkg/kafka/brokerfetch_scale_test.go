//go:build !brokerfree

package kafka

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
	"github.com/consumerkit/consumerkit/pkg/message"
	"github.com/consumerkit/consumerkit/pkg/registry"
)

// BenchmarkFetcherScaling measures, for 1, 12, 96 and 384 partitions
// assigned to one engine (partition ordering, a no-op handler), under each
// fetcher: the rate at which it drains a backlog of 200-byte messages
// (BENCH_MESSAGES, default 200,000, spread over the partitions), then,
// idle, the goroutines it added to the process and the TCP connections
// this process holds to the brokers. Run it with -benchtime 1x.
func BenchmarkFetcherScaling(b *testing.B) {
	n := benchMessages(b, 200_000)
	broker := newTestBroker(b)
	value := strings.Repeat("v", 200)
	for _, partitions := range []int{1, 12, 96, 384} {
		topic := broker.createTopic(fmt.Sprintf("bench-scale-%d", partitions), partitions)
		broker.produceFast(topic, n, func(i int) (string, string) { return strconv.Itoa(i), value })
		for _, fetcher := range fetchers {
			b.Run(fmt.Sprintf("partitions=%d/%s", partitions, fetcher), func(b *testing.B) {
				for range b.N {
					rate, goroutines, conns := scaleRun(b, broker, topic, fetcher, n)
					b.ReportMetric(rate, "msgs/s")
					b.ReportMetric(float64(goroutines), "goroutines")
					b.ReportMetric(float64(conns), "connections")
					b.ReportMetric(0, "ns/op")
				}
			})
		}
	}
}

// scaleRun drains topic with a fresh group under fetcher and returns the
// rate, and the goroutines and broker connections while idle after it.
func scaleRun(b *testing.B, broker *testBroker, topic, fetcher string, n int) (rate float64, goroutines, conns int) {
	runtime.GC()
	before := runtime.NumGoroutine()
	sw := newStopwatch(n)
	h := message.HandlerFunc(func(context.Context, *message.Message) error { sw.mark(); return nil })
	cfg := testConfig([]registry.Subscription{{Topic: topic, Handler: "bench", Ordering: registry.OrderingPartition}})
	cfg.Fetcher, cfg.CommitInterval = fetcher, benchCommitInterval
	e := broker.startEngine(cfg, registry.Empty().Add("bench", h))
	select {
	case <-sw.done:
	case <-time.After(consumertest.Patience):
		b.Fatalf("handled %d of %d messages", sw.count.Load(), n)
	}
	time.Sleep(3 * time.Second) // idle: every fetch waiting on the broker
	goroutines, conns = runtime.NumGoroutine()-before, brokerConnections(b, broker.addrs)
	e.stop(b)
	return float64(n-1) / sw.elapsed().Seconds(), goroutines, conns
}

// brokerConnections counts this process's established TCP connections
// to addrs (Linux: its socket descriptors, matched in /proc/net/tcp*).
func brokerConnections(tb testing.TB, addrs []string) int {
	tb.Helper()
	ports := map[string]bool{}
	for _, a := range addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			tb.Fatal(err)
		}
		p, _ := strconv.Atoi(port)
		ports[fmt.Sprintf("%04X", p)] = true
	}
	inodes := map[string]bool{}
	fds, err := filepath.Glob("/proc/self/fd/*")
	if err != nil {
		tb.Fatal(err)
	}
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	n := 0
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "01" { // 01: established
				continue
			}
			_, remotePort, _ := strings.Cut(fields[2], ":")
			if ports[remotePort] && inodes[fields[9]] {
				n++
			}
		}
		_ = f.Close()
	}
	return n
}
