package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// runLoad drives a running quanzi over HTTP, as real clients would.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "transfers" {
		help := len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
		w := stderr
		if help {
			w = stdout
		}
		fmt.Fprint(w, "Usage: quanzi load transfers [flags]\n\n  transfers   register and fund users, then send transfers between them over HTTP\n              (quanzi load transfers --help for its flags)\n")
		if help {
			return nil
		}
		return fmt.Errorf("%w: quanzi load needs a scenario: transfers", errUsage)
	}
	var c loadConfig
	fs := newFlagSet("load transfers", `Register --users users on a running quanzi, top each up, then send
transfers between random pairs from --concurrency clients for --duration,
each with its own Idempotency-Key. Prints a progress line, then requests/s,
latency percentiles and errors by code, and checks that the users' wallets
still hold exactly what was topped up. Only use it on a server of your own.`, stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the quanzi server")
	fs.IntVar(&c.users, "users", 200, "users to register")
	fs.IntVar(&c.concurrency, "concurrency", 64, "clients sending at once")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to send")
	fs.Int64Var(&c.maxAmount, "max-amount", 9, "largest transfer, in fen (small keeps unverified users under their daily limit)")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	if c.users < 2 || c.concurrency < 1 || c.duration <= 0 || c.maxAmount < 1 {
		return fmt.Errorf("%w: --users must be at least 2, --concurrency and --max-amount at least 1, --duration positive", errUsage)
	}
	return c.run(ctx, stdout, stderr)
}

type loadConfig struct {
	url         string
	users       int
	concurrency int
	duration    time.Duration
	maxAmount   int64
}

type loadUser struct {
	handle, token string
}

const loadFunds = 100_000 // ¥1,000 per user

func (c loadConfig) run(ctx context.Context, stdout, stderr io.Writer) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency + 8}}
	call := func(method, path, token, key string, body any) (int, []byte, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.url+path, rd)
		if err != nil {
			return 0, nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, b, err
	}

	// Users: registered and funded a few at a time (sign-up hashes a
	// password, which the server bounds by design).
	run := randomHex(4)
	password := "load-" + randomHex(8)
	users := make([]loadUser, c.users)
	setup := newProgress(stderr, "registering and funding users", false)
	var made atomic.Int64
	var setupErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				u := loadUser{handle: fmt.Sprintf("load_%s_%d", run, i)}
				err := func() error {
					creds := map[string]string{"handle": u.handle, "password": password}
					if code, b, err := call("POST", "/api/v1/users", "", "", creds); err != nil || code != 201 {
						return fmt.Errorf("registering %s: %d %s %v", u.handle, code, b, err)
					}
					code, b, err := call("POST", "/api/v1/sessions", "", "", creds)
					if err != nil || code != 201 {
						return fmt.Errorf("signing in %s: %d %s %v", u.handle, code, b, err)
					}
					var s struct{ Token string }
					json.Unmarshal(b, &s)
					u.token = s.Token
					if code, b, err := call("POST", "/api/v1/wallet/topups", u.token, "fund-"+u.handle, map[string]any{"amount": loadFunds}); err != nil || code != 201 {
						return fmt.Errorf("funding %s: %d %s %v", u.handle, code, b, err)
					}
					return nil
				}()
				mu.Lock()
				if err != nil && setupErr == nil {
					setupErr = err
				}
				users[i] = u
				mu.Unlock()
				setup.update(int(made.Add(1)), c.users)
			}
		}()
	}
	for i := range c.users {
		next <- i
	}
	close(next)
	wg.Wait()
	setup.finish()
	if setupErr != nil {
		return setupErr
	}

	// Transfers.
	type result struct {
		latencies []time.Duration
		errors    map[string]int
	}
	results := make([]result, c.concurrency)
	var sent atomic.Int64
	deadline := time.Now().Add(c.duration)
	start := time.Now()
	stopBar := make(chan struct{})
	barDone := make(chan struct{})
	go func() {
		defer close(barDone)
		bar := newProgress(stderr, "sending transfers", false)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopBar:
				bar.finish()
				return
			case <-t.C:
				el := time.Since(start)
				bar.label = fmt.Sprintf("sending transfers (%.0f/s)", float64(sent.Load())/el.Seconds())
				bar.update(int(min(el, c.duration)/time.Millisecond), int(c.duration/time.Millisecond))
			}
		}
	}()
	for w := range c.concurrency {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			res := result{errors: map[string]int{}}
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				from := rng.IntN(len(users))
				to := (from + 1 + rng.IntN(len(users)-1)) % len(users)
				body := map[string]any{"to": users[to].handle, "amount": 1 + rng.Int64N(c.maxAmount)}
				t0 := time.Now()
				code, b, err := call("POST", "/api/v1/transfers", users[from].token, fmt.Sprintf("%s-%d-%d", run, w, i), body)
				res.latencies = append(res.latencies, time.Since(t0))
				sent.Add(1)
				switch {
				case err != nil:
					res.errors["transport: "+err.Error()]++
				case code != 201:
					var p struct{ Code string }
					json.Unmarshal(b, &p)
					res.errors[fmt.Sprintf("%d %s", code, p.Code)]++
				}
			}
			results[w] = res
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopBar)
	<-barDone

	var all []time.Duration
	errors := map[string]int{}
	for _, r := range results {
		all = append(all, r.latencies...)
		for k, v := range r.errors {
			errors[k] += v
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	failed := 0
	for _, v := range errors {
		failed += v
	}
	fmt.Fprintf(stdout, "transfers: %d in %s = %.0f/s, %d refused or failed\n", len(all), elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(), failed)
	fmt.Fprintf(stdout, "latency: p50 %s  p95 %s  p99 %s  max %s\n", pct(0.50).Round(10*time.Microsecond), pct(0.95).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	keys := make([]string, 0, len(errors))
	for k := range errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  errors %-40s %d\n", k, errors[k])
	}

	// Conservation: the load users only paid each other.
	var total int64
	for _, u := range users {
		code, b, err := call("GET", "/api/v1/wallet", u.token, "", nil)
		if err != nil || code != 200 {
			return fmt.Errorf("reading %s's wallet: %d %v", u.handle, code, err)
		}
		var w struct{ Available, Held int64 }
		json.Unmarshal(b, &w)
		total += w.Available + w.Held
	}
	want := int64(c.users) * loadFunds
	if total != want {
		return fmt.Errorf("conservation FAILED: the load users hold %d fen, but %d were topped up", total, want)
	}
	fmt.Fprintf(stdout, "conservation OK: %d users hold exactly the %d fen topped up\n", c.users, want)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}
