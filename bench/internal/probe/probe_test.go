package probe

import (
	"net"
	"os"
	"strings"
	"testing"
)

func TestParseCPUTicksCountsFieldsAfterTheCommandName(t *testing.T) {
	// A command name with spaces and a ')' of its own: counting fields
	// from the start of the line, or after the first ')', is off.
	stat := "4242 (bench (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 130 27 0 0 20 0 9 0 100 1000 200\n"
	got, err := ParseCPUTicks([]byte(stat))
	if err != nil || got != 157 {
		t.Fatalf("ParseCPUTicks = %d, %v; want 130+27 = 157", got, err)
	}
	if _, err := ParseCPUTicks([]byte("4242 (x) S 1 2 3")); err == nil {
		t.Error("a truncated stat line: no error")
	}
	if _, err := ParseCPUTicks([]byte("no command name")); err == nil {
		t.Error("a stat line without a command name: no error")
	}
}

func TestParseStatusNeedsRSSHighWaterMarkAndThreads(t *testing.T) {
	status := "Name:\tbench\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t7\n"
	rss, hwm, threads, err := ParseStatus([]byte(status))
	if err != nil || rss != 40960 || hwm != 51200 || threads != 7 {
		t.Fatalf("ParseStatus = %d %d %d %v; want 40960 51200 7", rss, hwm, threads, err)
	}
	missing := strings.Replace(status, "Threads:\t7\n", "", 1)
	if _, _, _, err := ParseStatus([]byte(missing)); err == nil {
		t.Error("status without Threads: no error")
	}
}

func TestReadCountsThisProcesssSockets(t *testing.T) {
	before, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := os.CreateTemp(t.TempDir(), "not-a-socket")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	after, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.Sockets != before.Sockets+1 {
		t.Errorf("sockets %d after opening a listener and a file, %d before: want one more", after.Sockets, before.Sockets)
	}
	if after.RSSKiB <= 0 || after.HWMKiB < after.RSSKiB || after.Threads < 1 || after.CPUTicks < before.CPUTicks {
		t.Errorf("implausible sample %+v (before: %+v)", after, before)
	}
}

func TestClockTicks(t *testing.T) {
	hz, err := ClockTicks()
	if err != nil || hz <= 0 {
		t.Fatalf("ClockTicks = %d, %v", hz, err)
	}
}
