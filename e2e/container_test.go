//go:build e2e && container

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/consumerkit/consumerkit/pkg/consumertest"
)

// TestContainerRunsReadOnlyAsNonrootAgainstTheBroker: the image `make
// image` builds runs as the Deployment runs it — read-only root, user
// 65532, DIAG_DIR on a tmpfs, the config file mounted read-only — against
// the real broker on the host network. kcat's orders are all processed
// (kafka_consumer_messages_total through the admin port); /debug/pprof/
// is not on the admin port; the process has uid and gid 65532 and no
// capabilities, and "/" is mounted read-only. With commits every hour,
// nothing is committed while it runs, so `podman stop -t 30` (SIGTERM)
// must end it with exit code 0 through the final commit: logged, and
// Kafka's ConsumerGroupCommand then reports lag 0.
func TestContainerRunsReadOnlyAsNonrootAgainstTheBroker(t *testing.T) {
	e := requireEnv(t)
	p := newPodman(t)
	image := p.buildImage(t)
	const total = 500
	suffix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	topic, group := "orders-container-"+suffix, "container-"+suffix
	var lines []string
	for i := range total {
		customer := fmt.Sprintf("c-%05d", i%100+1)
		v, _ := json.Marshal(order{ID: fmt.Sprintf("o-%d", i), CustomerID: customer, AmountCents: int64(100 + i), CreatedAt: "2026-11-22T12:00:00Z"})
		lines = append(lines, customer+"|"+string(v))
	}
	produceWithKcat(t, e, topic, lines)

	cfg := filepath.Join(t.TempDir(), "config.yaml")
	body := fmt.Sprintf("kafka:\n  group_id: %s\n  subscriptions:\n    - {topic: %s, handler: orders-enricher, ordering: partition, batch: {size: 50, linger: 200ms}}\nservice:\n  input_topic: %s\n  output_topic: %s.enriched\n",
		group, topic, topic, topic)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// On the host network the listeners take ports the kernel picks.
	c := p.start(t, image, []string{
		"--read-only", "--user", "65532:65532", "--network", "host", "--tmpfs", diagDir,
		"-v", cfg + ":/etc/consumerkit/config.yaml:ro",
		"-e", "KAFKA_BROKERS=" + e.brokers, "-e", "ADMIN_ADDR=127.0.0.1:0", "-e", "DEBUG_ADDR=127.0.0.1:0", "-e", "COMMIT_INTERVAL=1h",
	}, "run", "--config", "/etc/consumerkit/config.yaml")
	admin := c.adminAddr(t)
	c.waitReady(t, admin)

	orders := func(metrics string, outcome string) float64 {
		return consumertest.Sum(t, consumertest.Scrape(t, metrics), "kafka_consumer_messages_total", map[string]string{"topic": topic, "outcome": outcome})
	}
	metrics := "http://" + admin + "/metrics"
	var success float64
	consumertest.Eventually(t, "every order to succeed, through the admin port", func() bool {
		c.running(t)
		// The first writes create the output topic: some succeed only after a retry.
		success = orders(metrics, "success")
		return success > 0 && success+orders(metrics, "retried") == total
	})
	t.Logf(`kafka_consumer_messages_total{outcome="success"} %v of %d`, success, total)
	if n := consumertest.Sum(t, consumertest.Scrape(t, metrics), "kafka_consumer_commits_total", map[string]string{"result": "success"}); n != 0 {
		t.Fatalf("%v commits before the stop with COMMIT_INTERVAL=1h: the final commit would prove nothing", n)
	}

	if code, body, err := get("http://"+admin+"/debug/pprof/", ""); err != nil || code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ on the admin port: %d, %v (%.80q), want 404: profiles belong on DEBUG_ADDR", code, err, body)
	}

	pid := c.inspect(t, "{{.State.Pid}}")
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nUid:\t65532\t65532\t65532\t65532\n", "\nGid:\t65532\t65532\t65532\t65532\n", "\nCapEff:\t0000000000000000\n"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("the container's process (pid %s) has no %q:\n%s", pid, strings.TrimSpace(want), status)
		}
	}
	mounts := mountOptions(t, pid)
	if !hasOption(mounts["/"], "ro") {
		t.Errorf("/ is mounted %q, want read-only", mounts["/"])
	}
	if !hasOption(mounts[diagDir], "rw") {
		t.Errorf("%s is mounted %q, want a writable tmpfs", diagDir, mounts[diagDir])
	}

	if code := c.stop(t); code != 0 {
		t.Fatalf("exit code %d after podman stop -t 30, want 0", code)
	}
	logs := c.logs(t)
	// The committer logs "generation ended" after its last commit.
	if !slices.Contains(logValues(logs, "generation ended", "reason"), "shutdown") {
		t.Error(`the container's log has no "generation ended" with reason "shutdown" (the final commit)`)
	}
	if len(logValues(logs, "shutdown complete", "msg")) == 0 {
		t.Error(`the container's log has no "shutdown complete"`)
	}
	if strings.Contains(logs, "offset commit failed") {
		t.Error("the container's log reports a failed commit")
	}
	lags, out := groupLag(t, e, group, topic)
	if len(lags) == 0 {
		t.Fatalf("ConsumerGroupCommand reports no committed partition of %s:\n%s", topic, out)
	}
	for partition, lag := range lags {
		if lag != 0 {
			t.Errorf("partition %d: lag %d after the stop, want 0 (the final commit)\n%s", partition, lag, out)
		}
	}
}

// mountOptions reads the mount points of process pid's mount namespace
// (the container's) with their per-mount options.
func mountOptions(t *testing.T, pid string) map[string]string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.Lines(string(data)) {
		// id parent major:minor root mount-point options ...
		if f := strings.Fields(line); len(f) > 5 {
			out[f[4]] = f[5]
		}
	}
	return out
}

func hasOption(options, want string) bool {
	for o := range strings.SplitSeq(options, ",") {
		if o == want {
			return true
		}
	}
	return false
}
