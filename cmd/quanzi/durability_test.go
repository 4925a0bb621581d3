package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestAcknowledgedWritesSurviveKill9 registers users against a real quanzi
// process, kills it with SIGKILL in the middle of the stream, restarts it on
// the same database and checks that every registration that was answered
// 201 is there.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	bin := filepath.Join(t.TempDir(), "quanzi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	args := dbArgs(t)

	cmd, base := startBinary(t, bin, args)
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				handle := fmt.Sprintf("k%d_%d", w, i)
				body, _ := json.Marshal(map[string]string{"handle": handle, "password": "durable-pw"})
				res, err := http.Post(base+"/api/v1/users", "application/json", bytes.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					mu.Lock()
					acked = append(acked, handle)
					mu.Unlock()
				}
			}
		}(w)
	}
	// Let some registrations through, then kill without warning.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d registrations were acknowledged before the kill", len(acked))
	}

	cmd2, base2 := startBinary(t, bin, args)
	defer func() { cmd2.Process.Signal(syscall.SIGTERM); cmd2.Wait() }()
	missing := 0
	for _, h := range acked {
		body, _ := json.Marshal(map[string]string{"handle": h, "password": "durable-pw"})
		res, err := http.Post(base2+"/api/v1/sessions", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			missing++
			t.Errorf("acknowledged user %s cannot sign in after the crash: %d", h, res.StatusCode)
		}
	}
	t.Logf("%d acknowledged registrations, %d lost", len(acked), missing)
}

func startBinary(t *testing.T, bin string, args []string) (*exec.Cmd, string) {
	t.Helper()
	logs := &syncBuf{}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--hash-concurrency", "2"}, args...)...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return cmd, m[1]
		}
	}
	t.Fatalf("the server did not start:\n%s", strings.TrimSpace(logs.String()))
	return nil, ""
}
