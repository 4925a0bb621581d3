package main

import (
	"os"
	"strconv"
	"syscall"
)

// lowerPriority sets this process's nice value to n (0–19, higher is
// gentler), so that a long batch job leaves the CPU to the servers on the
// same machine. On Linux the value belongs to each thread: every thread
// the process has gets it, and threads started later inherit it from the
// thread that starts them. Twice, for a thread started while the first
// pass ran.
func lowerPriority(n int) error {
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil && err != syscall.ESRCH { // ESRCH: the thread ended
				return err
			}
		}
	}
	return nil
}
