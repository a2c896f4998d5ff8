//go:build !linux

package faults_test

import "os/exec"

// orphanGuard has no portable equivalent outside Linux; the test's cleanup stops the processes.
func orphanGuard(*exec.Cmd) {}
