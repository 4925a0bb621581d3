package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Every thread of the process runs at the lowered priority, those started
// afterwards too. Checked in a child process, so the tests keep theirs.
func TestLowerPriorityReachesEveryThread(t *testing.T) {
	if os.Getenv("QUANZI_TEST_NICE_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLowerPriorityReachesEveryThread$", "-test.v")
		cmd.Env = append(os.Environ(), "QUANZI_TEST_NICE_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PASS") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	if err := lowerPriority(7); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for range 8 { // goroutines that block in syscalls make the runtime start threads
		go func() { _, _ = exec.Command("true").Output(); done <- struct{}{} }()
	}
	for range 8 {
		<-done
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		stat, err := os.ReadFile("/proc/self/task/" + task.Name() + "/stat")
		if err != nil {
			continue // ended
		}
		// Fields after the command name (in parentheses): nice is the 19th
		// field of the line, the 17th after ")".
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if f[16] != "7" {
			t.Fatalf("thread %s runs at nice %s, not 7 (of %d threads)", task.Name(), f[16], len(tasks))
		}
	}
}
