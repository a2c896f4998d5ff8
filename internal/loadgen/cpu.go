package loadgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat. It is 100 on every Linux
// architecture Go supports (the kernel fixes it for user space), so no cgo sysconf call is needed.
const clockTicks = 100

// procStat holds the fields of /proc/<pid>/stat that CPU accounting needs.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

// parseStat reads a stat line. The command name (field 2) is in parentheses and may itself hold
// spaces and parentheses, so fields are counted from the last ')'.
func parseStat(s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("loadgen: malformed stat line")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); ppid is field 4, utime..cstime are fields 14..17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("loadgen: short stat line")
	}
	var st procStat
	var err error
	if st.ppid, err = strconv.Atoi(f[1]); err != nil {
		return st, fmt.Errorf("loadgen: ppid: %w", err)
	}
	for j, p := range []*int64{&st.utime, &st.stime, &st.cutime, &st.cstime} {
		if *p, err = strconv.ParseInt(f[11+j], 10, 64); err != nil {
			return st, fmt.Errorf("loadgen: cpu field %d: %w", 14+j, err)
		}
	}
	return st, nil
}

func ticks(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }

// ProcessCPU returns the user+system CPU time process pid has used so far.
func ProcessCPU(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return ticks(st.utime + st.stime), nil
}

// TreeCPU returns the CPU time used by process root and all its children, living or exited: the
// living children's own times plus root's cutime/cstime, which the kernel adds up as root reaps
// its children. For a PostgreSQL postmaster this covers every backend, including those of
// connections that closed during the measurement (pgbench's, for example).
func TreeCPU(root int) (time.Duration, error) {
	st, err := readStat(root)
	if err != nil {
		return 0, err
	}
	total := st.utime + st.stime + st.cutime + st.cstime
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		cs, err := readStat(pid)
		if err != nil || cs.ppid != root {
			continue // gone meanwhile, or not a child
		}
		total += cs.utime + cs.stime
	}
	return ticks(total), nil
}

// PostmasterPID reads the postmaster's PID from the first line of a data directory's postmaster.pid.
func PostmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("loadgen: postmaster pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("loadgen: postmaster pid: %w", err)
	}
	return pid, nil
}
