// Package probe reads what a process costs from Linux's /proc: CPU time
// (utime+stime of /proc/<pid>/stat), resident memory and threads
// (/proc/<pid>/status) and open sockets (/proc/<pid>/fd). The benchmark
// suite reads its contenders with it — a Go contender itself, kcat from
// the runner — so that every contender is measured by the same code.
package probe

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Sample is one reading of a process.
type Sample struct {
	// CPUTicks is user plus system CPU time, in clock ticks (ClockTicks
	// a second), of all the process's threads.
	CPUTicks int64 `json:"cpu_ticks"`
	// RSSKiB is resident memory now, HWMKiB its high-water mark.
	RSSKiB int64 `json:"rss_kib"`
	HWMKiB int64 `json:"hwm_kib"`
	// Threads is the number of OS threads.
	Threads int64 `json:"threads"`
	// Sockets is the number of open socket descriptors: the process's
	// connections to the brokers (and any listener it has).
	Sockets int64 `json:"sockets"`
}

// Read samples process pid. Any part it cannot read is an error: a
// figure silently left zero would be reported as a measurement.
func Read(pid int) (Sample, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Sample{}, fmt.Errorf("probe %d: %w", pid, err)
	}
	var s Sample
	if s.CPUTicks, err = ParseCPUTicks(stat); err != nil {
		return Sample{}, fmt.Errorf("probe %d: %w", pid, err)
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return Sample{}, fmt.Errorf("probe %d: %w", pid, err)
	}
	if s.RSSKiB, s.HWMKiB, s.Threads, err = ParseStatus(status); err != nil {
		return Sample{}, fmt.Errorf("probe %d: %w", pid, err)
	}
	if s.Sockets, err = countSockets(filepath.Join(dir, "fd")); err != nil {
		return Sample{}, fmt.Errorf("probe %d: %w", pid, err)
	}
	return s, nil
}

// ParseCPUTicks returns utime+stime from the text of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so the fields are counted after its last ')':
// there utime and stime are the 12th and 13th (fields 14 and 15 of
// proc(5)).
func ParseCPUTicks(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat %q: no command name", stat)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, need 13", len(f))
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat utime: %w", err)
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat stime: %w", err)
	}
	return utime + stime, nil
}

// ParseStatus returns VmRSS and VmHWM (KiB) and Threads from the text of
// /proc/<pid>/status; each must be there.
func ParseStatus(status []byte) (rssKiB, hwmKiB, threads int64, err error) {
	found := map[string]*int64{"VmRSS": &rssKiB, "VmHWM": &hwmKiB, "Threads": &threads}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		dst, want := found[name]
		if !ok || !want {
			continue
		}
		fields := strings.Fields(value) // "  1234 kB" or "  7"
		if len(fields) == 0 {
			return 0, 0, 0, fmt.Errorf("status %s: no value", name)
		}
		if *dst, err = strconv.ParseInt(fields[0], 10, 64); err != nil {
			return 0, 0, 0, fmt.Errorf("status %s: %w", name, err)
		}
		seen++
	}
	if seen != len(found) {
		return 0, 0, 0, fmt.Errorf("status: found %d of VmRSS, VmHWM, Threads", seen)
	}
	return rssKiB, hwmKiB, threads, nil
}

// countSockets counts the descriptors in fdDir that are sockets. A
// descriptor closed between listing and reading it is skipped: it is no
// longer open.
func countSockets(fdDir string) (int64, error) {
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return 0, err
		}
		if strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n, nil
}

// ClockTicks is the kernel's clock ticks per second (USER_HZ), the unit
// of Sample.CPUTicks, as getconf reports it.
func ClockTicks() (int64, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 0, fmt.Errorf("getconf CLK_TCK: %w", err)
	}
	hz, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || hz <= 0 {
		return 0, fmt.Errorf("getconf CLK_TCK: %q", out)
	}
	return hz, nil
}
