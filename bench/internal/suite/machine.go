package suite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/consumerkit/consumerkit/bench/internal/report"
	"github.com/consumerkit/consumerkit/bench/internal/topics"
)

// machine describes this machine: cores, CPU model, and the load
// average now.
func machine() (report.Machine, error) {
	m := report.Machine{NProc: runtime.NumCPU()}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return m, fmt.Errorf("cpu model: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(info))
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
			m.CPUModel = strings.TrimSpace(value)
			break
		}
	}
	load, err := loadAverage()
	if err != nil {
		return m, err
	}
	m.LoadAvg = []float64{load}
	return m, nil
}

// loadAverage is the 1-minute load average.
func loadAverage() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, fmt.Errorf("load average: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("load average: %q", b)
	}
	return strconv.ParseFloat(f[0], 64)
}

// libraries are the modules whose versions the results name.
var libraries = []string{
	"github.com/segmentio/kafka-go", "github.com/twmb/franz-go", "github.com/IBM/sarama",
	"github.com/ThreeDotsLabs/watermill", "github.com/ThreeDotsLabs/watermill-kafka/v3",
}

// versions names what ran: Go, each client library as built into this
// binary, kcat and its librdkafka, and the broker (kafkaVersion when the
// caller knows it, else franz-go's guess from its API versions).
func versions(ctx context.Context, admin *topics.Admin, kafkaVersion string) (map[string]string, error) {
	v := map[string]string{"Go": runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil, fmt.Errorf("versions: no build information in this binary")
	}
	for _, dep := range bi.Deps {
		for _, lib := range libraries {
			if dep.Path == lib {
				v[strings.TrimPrefix(lib, "github.com/")] = dep.Version
			}
		}
	}
	for _, lib := range libraries {
		if _, ok := v[strings.TrimPrefix(lib, "github.com/")]; !ok {
			return nil, fmt.Errorf("versions: %s is not built into this binary", lib)
		}
	}
	out, err := exec.CommandContext(ctx, "kcat", "-V").Output()
	if err != nil {
		return nil, fmt.Errorf("kcat -V: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "Version "); ok {
			v["kcat"] = kcatVersion(rest)
		}
	}
	guess, err := admin.BrokerVersion(ctx)
	if err != nil {
		return nil, err
	}
	if kafkaVersion != "" {
		guess = kafkaVersion + " (API versions of " + strings.TrimPrefix(guess, "v") + ")"
	}
	v["Apache Kafka"] = guess
	return v, nil
}

// kcatVersion shortens kcat -V's version line, "1.7.1 (JSON, …, librdkafka
// 2.0.2 builtin.features=…)", to "1.7.1 (librdkafka 2.0.2)".
func kcatVersion(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return line
	}
	for i, w := range f {
		if w == "librdkafka" && i+1 < len(f) {
			return f[0] + " (librdkafka " + f[i+1] + ")"
		}
	}
	return f[0]
}
