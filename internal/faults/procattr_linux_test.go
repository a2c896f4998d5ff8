//go:build linux

package faults_test

import (
	"os/exec"
	"syscall"
)

// orphanGuard makes the kernel kill a serve process whose test binary died (a timeout, a panic),
// so a failed run does not leave app processes behind.
func orphanGuard(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
