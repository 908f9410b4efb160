package consumerkit

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// guidePath is the guide whose commands TestTheGuideRunsAsWritten runs.
const guidePath = "docs/writing-a-consumer.md"

// guideBlock is one ```sh block of the guide and how the test runs it.
type guideBlock struct {
	line int    // where the block starts in the guide
	mode string // "" (run once, must succeed), "background" or "retry"
	code string
}

// guideBlocks returns the guide's shell blocks in order. An HTML comment
// `<!-- guide: MODE -->` on the line before a block sets its mode: it is
// invisible to a reader, who runs a background command in a terminal of
// its own and repeats a check until it passes.
func guideBlocks(t *testing.T, path string) []guideBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks     []guideBlock
		cur        *guideBlock
		mode, prev string
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && line == "```sh":
			if m, ok := strings.CutPrefix(prev, "<!-- guide: "); ok {
				mode = strings.TrimSuffix(m, " -->")
			}
			if mode != "" && mode != "background" && mode != "retry" {
				t.Fatalf("%s:%d: unknown guide mode %q (background or retry)", path, n-1, mode)
			}
			cur = &guideBlock{line: n, mode: mode}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur, mode = nil, ""
		case cur != nil:
			cur.code += line + "\n"
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: the block never ends", path, cur.line)
	}
	return blocks
}

// guideScript makes one bash script of the blocks, each verbatim: a plain
// block must succeed; a background block runs in a process group of its
// own, which at the end gets SIGINT, as Ctrl-C would send, and must exit
// 0; a retry block is repeated, a second apart, until it succeeds, for at
// most two minutes.
func guideScript(path string, blocks []guideBlock) string {
	var b strings.Builder
	b.WriteString(`set -euo pipefail
set -m
bg=()
stop_background() {
  local rc=0 status
  for i in "${!bg[@]}"; do
    kill -INT -- "-${bg[$i]}" 2>/dev/null || true
    status=0
    wait "${bg[$i]}" || status=$?
    if [[ $status -ne 0 ]]; then
      echo "guide: the background command of block $i exited $status after Ctrl-C; its output:"
      cat "$GUIDE_LOGS/bg-$i.log"
      rc=1
    fi
  done
  return $rc
}
trap 'stop_background || exit 1' EXIT
`)
	background := 0
	for _, blk := range blocks {
		fmt.Fprintf(&b, "echo '== %s:%d (%s)'\n", path, blk.line, cmp.Or(blk.mode, "run"))
		switch blk.mode {
		case "background":
			fmt.Fprintf(&b, "( %s) >\"$GUIDE_LOGS/bg-%d.log\" 2>&1 &\nbg+=($!)\necho \"GUIDE_PGID=$!\"\n", blk.code, background)
			background++
		case "retry":
			fmt.Fprintf(&b, `for try in $(seq 120); do
  if ( %s) >"$GUIDE_LOGS/retry.out" 2>&1; then cat "$GUIDE_LOGS/retry.out"; break; fi
  if [[ $try -eq 120 ]]; then echo "guide: block at line %d still fails after 120 tries:"; cat "$GUIDE_LOGS/retry.out"; exit 1; fi
  sleep 1
done
`, blk.code, blk.line)
		default:
			b.WriteString(blk.code)
		}
	}
	return b.String()
}

// TestTheGuideRunsAsWritten runs docs/writing-a-consumer.md, every shell
// block verbatim and in order, in a copy of this checkout: a new service
// beside it, a handler scaffolded into it, its tests, the service on the
// embedded broker consuming what kcat produces, its dead letter, the
// monitoring checks, its image run read-only with podman, and its manifests
// applied to a real API server (make k8s-up) and dry-run by deploy-check.
// A guide command that stops working fails here.
func TestTheGuideRunsAsWritten(t *testing.T) {
	// The service's ports, the container's published admin port, and
	// the API server's and etcd's (client and peer) of make k8s-up.
	for _, port := range []int{9090, 6060, 19092, 19090, 16443, 23790, 23800} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("the guide uses 127.0.0.1:%d, which is taken: %v", port, err)
		}
		l.Close()
	}
	blocks := guideBlocks(t, guidePath)
	dir := copyRepo(t)
	// Whatever happened, no container, image or API server the guide
	// started outlives the test (each is already gone after a clean run
	// but for the image, which the next run would otherwise reuse).
	t.Cleanup(func() { cleanUpAfterTheGuide(t, filepath.Join(filepath.Dir(dir), "payments-consumer")) })
	logs := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*commandGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", guideScript(guidePath, blocks))
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(t), "GUIDE_LOGS="+logs)
	out, err := cmd.CombinedOutput()
	// Whatever happened, no background command outlives the test.
	for _, line := range strings.Split(string(out), "\n") {
		if pgid, ok := strings.CutPrefix(line, "GUIDE_PGID="); ok {
			if n, convErr := strconv.Atoi(pgid); convErr == nil {
				_ = syscall.Kill(-n, syscall.SIGKILL) // already gone after a clean run
			}
		}
	}
	if err != nil {
		t.Fatalf("the guide failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	// The guide says a service stopped by Ctrl-C ends with this line.
	bgLogs, err := filepath.Glob(filepath.Join(logs, "bg-*.log"))
	if err != nil || len(bgLogs) == 0 {
		t.Fatalf("no background command's log in %s (%v)", logs, err)
	}
	for _, file := range bgLogs {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if last := lines[len(lines)-1]; !strings.Contains(last, `"msg":"shutdown complete"`) {
			t.Errorf("%s: the last line after Ctrl-C is %s, want shutdown complete", filepath.Base(file), last)
		}
	}
}

// cleanUpAfterTheGuide removes the container and image the guide's step 6
// made and stops the API server of its step 7, in the service's directory
// svc. Their absence is not an error; a failure to remove what is there
// is reported.
func cleanUpAfterTheGuide(t *testing.T, svc string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(svc, "scripts")); err != nil {
		return // the guide stopped before the service existed
	}
	podman := exec.Command("bash", "-c", `
conf=$("$1/scripts/image.sh" conf) # the configuration make image ran podman with
if [ -n "$conf" ]; then export CONTAINERS_CONF=$conf; fi
podman rm -f --ignore payments-consumer >/dev/null
if podman image exists payments-consumer:dev; then podman rmi -f payments-consumer:dev >/dev/null; fi`, "cleanup", svc)
	if out, err := podman.CombinedOutput(); err != nil {
		t.Errorf("removing the guide's container and image: %v\n%s", err, out)
	}
	down := exec.Command(filepath.Join(svc, "scripts", "k8s.sh"), "down")
	down.Dir = svc
	if out, err := down.CombinedOutput(); err != nil {
		t.Errorf("stopping the guide's API server: %v\n%s", err, out)
	}
}
