package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/consumerkit/consumerkit/bench/internal/contender"
	"github.com/consumerkit/consumerkit/bench/internal/probe"
)

// kcatTail is how close to the end the runner samples kcat at every
// piece of output: a pipe read returns at most 64 KiB, at least two
// bytes a message, so the last piece before the end starts within it.
const kcatTail = 32 << 10

// kcatPiece is one read of kcat's output: when it arrived, how many
// messages had been printed by then, and kcat's sample at that moment.
type kcatPiece struct {
	at     int64
	count  int64
	sample probe.Sample
}

// runKcat consumes spec's topic with kcat (librdkafka's balanced
// consumer group, committing every CommitInterval and on close, exiting
// at the end of every partition), printing one line per message, the
// offset. kcat cannot time itself, so the runner times it by its output,
// which stdio hands over in pieces of a pipe buffer (about 580 lines):
// from the first piece to the last piece that arrived before the end
// (the final piece is written at exit, after the group's close), over
// the messages between them, sampling kcat's /proc at both.
func runKcat(ctx context.Context, spec contender.Spec, logPath string) (contender.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	logFile, err := os.Create(logPath)
	if err != nil {
		return contender.Report{}, fmt.Errorf("kcat log: %w", err)
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, "kcat", kcatArgs(spec)...)
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		return contender.Report{}, fmt.Errorf("kcat: %w", err)
	}
	start := time.Now().UnixNano()
	if err := cmd.Start(); err != nil {
		return contender.Report{}, fmt.Errorf("kcat: %w", err)
	}
	pid := cmd.Process.Pid
	rep, readErr := readKcat(out, func() (probe.Sample, error) { return probe.Read(pid) }, spec.N)
	if readErr != nil {
		_, _ = io.Copy(io.Discard, out) // let kcat finish writing before it is waited for
	}
	if err := cmd.Wait(); err != nil {
		return contender.Report{}, errors.Join(readErr, fmt.Errorf("kcat: %w; the end of its log, %s:\n%s", err, logPath, logTail(logPath)))
	}
	rep.StartNs = start
	return rep, readErr
}

// kcatArgs are kcat's arguments for spec: a balanced consumer in group
// spec.Group, from the earliest offset, committing every CommitInterval,
// one line per message with its offset, exiting at the end.
func kcatArgs(spec contender.Spec) []string {
	return []string{
		"-b", strings.Join(spec.Brokers, ","), "-G", spec.Group,
		"-X", "auto.offset.reset=earliest",
		"-X", fmt.Sprintf("auto.commit.interval.ms=%d", contender.CommitInterval.Milliseconds()),
		"-X", "client.id=bench-kcat",
		"-e", "-q", "-f", `%o\n`, spec.Topic,
	}
}

// readKcat reads kcat's output to its end and measures it (see runKcat),
// taking kcat's samples with sample.
func readKcat(out io.Reader, sample func() (probe.Sample, error), n int64) (contender.Report, error) {
	rep := contender.Report{Goroutines: -1}
	var first, last *kcatPiece
	halfDone := false
	buf := make([]byte, 64<<10)
	for {
		k, err := out.Read(buf)
		if k > 0 {
			p := kcatPiece{at: time.Now().UnixNano(), count: rep.Count + int64(bytes.Count(buf[:k], []byte{'\n'}))}
			rep.Count = p.count
			sampled := first == nil || (!halfDone && p.count >= n/2) || (p.count < n && p.count >= n-kcatTail)
			if sampled {
				var perr error
				if p.sample, perr = sample(); perr != nil {
					return rep, fmt.Errorf("kcat at %d messages: %w", p.count, perr)
				}
			}
			switch {
			case first == nil:
				first = &p
			case p.count < n && p.count >= n-kcatTail:
				last = &p
			}
			if !halfDone && p.count >= n/2 {
				rep.Half, halfDone = p.sample, true
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("kcat output: %w", err)
		}
	}
	if first == nil || last == nil {
		return rep, fmt.Errorf("kcat printed %d messages in too few pieces to time them", rep.Count)
	}
	rep.Measured = last.count - first.count + 1
	rep.FirstNs, rep.LastNs = first.at, last.at
	rep.First, rep.Last = first.sample, last.sample
	return rep, nil
}
