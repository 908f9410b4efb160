//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// env holds what the test needs from its surroundings.
type env struct {
	brokers   string
	classpath string
	kcat      string
	// kcatSecurity and toolSecurity are the arguments that connect kcat
	// and Kafka's tools as the environment's KAFKA_TLS_* and KAFKA_SASL_*
	// connect the binary (see clientSecurity); none in plain text.
	kcatSecurity, toolSecurity []string
}

func requireEnv(t *testing.T) env {
	t.Helper()
	e := env{brokers: os.Getenv("KAFKA_BROKERS"), classpath: os.Getenv("KAFKA_CLASSPATH")}
	if e.brokers == "" {
		t.Fatal("KAFKA_BROKERS is not set: start a broker with `make kafka-up` and run `make test-e2e`")
	}
	if e.classpath == "" {
		t.Fatal("KAFKA_CLASSPATH is not set: `make test-e2e` sets it from scripts/kafka.sh classpath")
	}
	k, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: apt-get install kcat (.ci/run installs it)")
	}
	e.kcat = k
	e.kcatSecurity, e.toolSecurity = clientSecurity(t)
	return e
}

// kcatArgs are kcat's first arguments: the brokers, and the security
// configuration when there is one.
func (e env) kcatArgs() []string {
	return append([]string{"-b", e.brokers}, e.kcatSecurity...)
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "consumer")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/consumer")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type order struct {
	ID          string `json:"id"`
	CustomerID  string `json:"customer_id"`
	AmountCents int64  `json:"amount_cents"`
	CreatedAt   string `json:"created_at"`
}

// produceWithKcat writes lines "key|value" to topic with kcat (acks=all).
func produceWithKcat(t *testing.T, e env, topic string, lines []string) {
	t.Helper()
	cmd := exec.Command(e.kcat, append(e.kcatArgs(), "-P", "-t", topic, "-K", "|", "-X", "acks=all")...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat produce: %v\n%s", err, out)
	}
}

// consumeWithKcat reads topic from the beginning to its end: key, value.
func consumeWithKcat(t *testing.T, e env, topic string) [][2]string {
	t.Helper()
	cmd := exec.Command(e.kcat, append(e.kcatArgs(), "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n")...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat consume %s: %v", topic, err)
	}
	var recs [][2]string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "\t"); ok {
			recs = append(recs, [2]string{k, v})
		}
	}
	return recs
}

// consumeWithKcatHeaders reads topic to its end, one line per record with
// its headers.
func consumeWithKcatHeaders(t *testing.T, e env, topic string) []string {
	t.Helper()
	cmd := exec.Command(e.kcat, append(e.kcatArgs(), "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%h\n")...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat consume %s: %v", topic, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// groupLag asks Kafka's own ConsumerGroupCommand for the group's lag per
// partition of topic.
func groupLag(t *testing.T, e env, group, topic string) (map[int]int64, string) {
	t.Helper()
	args := append([]string{"-cp", e.classpath, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
		"--bootstrap-server", e.brokers, "--describe", "--group", group}, e.toolSecurity...)
	cmd := exec.Command("java", args...)
	out, _ := cmd.CombinedOutput() // a group being rebalanced exits non-zero; the caller polls
	lags := map[int]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0] != group || f[1] != topic {
			continue
		}
		p, err1 := strconv.Atoi(f[2])
		lag, err2 := strconv.ParseInt(f[5], 10, 64)
		if err1 == nil && err2 == nil {
			lags[p] = lag
		}
	}
	return lags, string(out)
}
