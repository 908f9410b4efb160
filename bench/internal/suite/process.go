package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/contender"
)

// killGrace is how long past its own timeout a contender process may
// take before the runner kills it.
const killGrace = 30 * time.Second

// runProcess runs spec's Go contender in a process of its own, exe
// consume <spec as JSON>, and returns what it reported on its standard
// output. Its standard error goes to logPath.
func runProcess(ctx context.Context, exe string, spec contender.Spec, logPath string) (contender.Report, error) {
	arg, err := json.Marshal(spec)
	if err != nil {
		return contender.Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout+killGrace)
	defer cancel()
	logFile, err := os.Create(logPath)
	if err != nil {
		return contender.Report{}, fmt.Errorf("contender log: %w", err)
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, exe, "consume", string(arg))
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, logFile
	start := time.Now().UnixNano()
	if err := cmd.Run(); err != nil {
		return contender.Report{}, fmt.Errorf("%s: %w; the end of its log, %s:\n%s", spec.Contender, err, logPath, logTail(logPath))
	}
	var rep contender.Report
	if err := json.Unmarshal(lastLine(stdout.Bytes()), &rep); err != nil {
		return contender.Report{}, fmt.Errorf("%s: its report %q: %w", spec.Contender, stdout.String(), err)
	}
	rep.StartNs = start
	return rep, nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// logTail is the last lines of the log at path, for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}
