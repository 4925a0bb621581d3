//go:build unix && !linux

package main

import "syscall"

// lowerPriority sets the process's nice value to n (0–19, higher is
// gentler), so that a long batch job leaves the CPU to the servers on the
// same machine.
func lowerPriority(n int) error { return syscall.Setpriority(syscall.PRIO_PROCESS, 0, n) }
