package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Memory is a process's resident set as /proc/<pid>/status reports it, in bytes: RSS now and the
// high-water mark since the process started (VmHWM), which the kernel keeps for us, so a peak
// under load is read once after the load instead of sampled during it and missed between samples.
type Memory struct {
	RSS, Peak int64
}

// ProcessMemory reads pid's resident set and its peak.
func ProcessMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("loadgen: memory of %d: %w", pid, err)
	}
	return parseStatus(string(b))
}

// parseStatus reads the VmRSS and VmHWM lines ("VmHWM:\t  123456 kB").
func parseStatus(s string) (Memory, error) {
	var m Memory
	var seen int
	for _, line := range strings.Split(s, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return Memory{}, fmt.Errorf("loadgen: malformed %s line %q", key, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("loadgen: %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb * 1024
		} else {
			m.Peak = kb * 1024
		}
		seen++
	}
	if seen != 2 {
		return Memory{}, fmt.Errorf("loadgen: status has no VmRSS/VmHWM (kernel thread or gone?)")
	}
	return m, nil
}
