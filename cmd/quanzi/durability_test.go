package main

import (
	"bytes"
	"context"
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
	bin := buildBinary(t)
	args := dbArgs(t)

	cmd, base := startBinary(t, bin, args)
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	wg := untilStopped(4, stop, func(w, i int) bool {
		handle := fmt.Sprintf("k%d_%d", w, i)
		code, _ := postJSON(t, base+"/api/v1/users", "", "", `{"handle":"`+handle+`","password":"durable-pw"}`)
		if code == 0 {
			return false // the server is gone
		}
		if code == http.StatusCreated {
			mu.Lock()
			acked = append(acked, handle)
			mu.Unlock()
		}
		return true
	})
	// Let some registrations through, then kill without warning.
	waitUntil(20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 20 })
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

// untilStopped runs n workers, each calling step with its number and a
// counter, until stop closes or step returns false.
func untilStopped(n int, stop <-chan struct{}, step func(w, i int) bool) *sync.WaitGroup {
	wg := &sync.WaitGroup{}
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !step(w, i) {
					return
				}
			}
		}()
	}
	return wg
}

// waitUntil polls cond until it holds or limit passes; the caller checks
// the outcome itself.
func waitUntil(limit time.Duration, cond func() bool) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline) && !cond(); time.Sleep(10 * time.Millisecond) {
	}
}

// buildBinary builds quanzi for a test that runs it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "quanzi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
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

type acked struct {
	token, key, body string
	response         []byte
}

func postJSON(t *testing.T, url, token, key, body string) (int, []byte) {
	t.Helper()
	code, b, _ := newCaller(context.Background(), url, 1).call("POST", "", token, key, json.RawMessage(body))
	return code, b
}

// TestAcknowledgedTransfersSurviveKill9 drives transfers with idempotency
// keys at a real server, kills it with SIGKILL mid-stream and restarts it:
// every acknowledged transfer replays its first answer byte for byte and
// moves no money again, the wallets still hold exactly what came in, and
// quanzi ledger verify passes.
func TestAcknowledgedTransfersSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	bin := buildBinary(t)
	args := dbArgs(t)
	cmd, base := startBinary(t, bin, args)

	const users = 4
	const funds = 1_000_000
	tokens := make([]string, users)
	for i := range users {
		h := fmt.Sprintf("payer%d", i)
		if code, b := postJSON(t, base+"/api/v1/users", "", "", `{"handle":"`+h+`","password":"durable-pw"}`); code != 201 {
			t.Fatalf("register: %d %s", code, b)
		}
		_, b := postJSON(t, base+"/api/v1/sessions", "", "", `{"handle":"`+h+`","password":"durable-pw"}`)
		var s struct{ Token string }
		json.Unmarshal(b, &s)
		tokens[i] = s.Token
		if code, b := postJSON(t, base+"/api/v1/wallet/topups", s.Token, "fund-"+h, fmt.Sprintf(`{"amount":%d}`, funds)); code != 201 {
			t.Fatalf("top-up: %d %s", code, b)
		}
	}

	var mu sync.Mutex
	var done []acked
	stop := make(chan struct{})
	wg := untilStopped(users, stop, func(w, i int) bool {
		key := fmt.Sprintf("t-%d-%d", w, i)
		body := fmt.Sprintf(`{"to":"payer%d","amount":%d,"memo":"load %d"}`, (w+1)%users, 1+i%97, i)
		code, resp := postJSON(t, base+"/api/v1/transfers", tokens[w], key, body)
		if code == 0 {
			return false // the server is gone
		}
		if code == 201 {
			mu.Lock()
			done = append(done, acked{tokens[w], key, body, resp})
			mu.Unlock()
		}
		return true
	})
	waitUntil(30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(done) >= 60 })
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(done) < 60 {
		t.Fatalf("only %d transfers acknowledged before the kill", len(done))
	}

	cmd2, base2 := startBinary(t, bin, args)
	defer func() { cmd2.Process.Signal(syscall.SIGTERM); cmd2.Wait() }()
	total := func() int64 {
		var sum int64
		for _, tok := range tokens {
			r, _ := http.NewRequest("GET", base2+"/api/v1/wallet", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			var w struct{ Available, Held int64 }
			json.NewDecoder(res.Body).Decode(&w)
			res.Body.Close()
			sum += w.Available + w.Held
		}
		return sum
	}
	if got := total(); got != users*funds {
		t.Fatalf("after the crash the wallets hold %d; %d came in", got, users*funds)
	}
	for _, a := range done {
		code, resp := postJSON(t, base2+"/api/v1/transfers", a.token, a.key, a.body)
		if code != 201 || string(resp) != string(a.response) {
			t.Fatalf("replaying acknowledged %s after the crash: %d %s; first answer %s", a.key, code, resp, a.response)
		}
	}
	if got := total(); got != users*funds {
		t.Fatalf("replays moved money: wallets hold %d", got)
	}
	out, err := exec.Command(bin, append([]string{"ledger", "verify", "--quiet"}, args...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ledger OK") {
		t.Fatalf("ledger verify after the crash: %v\n%s", err, out)
	}
	t.Logf("%d acknowledged transfers replayed identically after kill -9", len(done))
}
