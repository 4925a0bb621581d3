package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
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
	scenario := ""
	if len(args) > 0 {
		scenario = args[0]
	}
	switch scenario {
	case "transfers":
		return runLoadTransfers(ctx, args[1:], stdout, stderr)
	case "search":
		return runLoadSearch(ctx, args[1:], stdout, stderr)
	case "tips":
		return runLoadTips(ctx, args[1:], stdout, stderr)
	case "seed":
		return runLoadSeed(ctx, args[1:], stdout, stderr)
	case "feeds":
		return runLoadFeeds(ctx, args[1:], stdout, stderr)
	case "notify":
		return runLoadNotify(ctx, args[1:], stdout, stderr)
	case "uploads":
		return runLoadUploads(ctx, args[1:], stdout, stderr)
	}
	help := scenario == "-h" || scenario == "--help" || scenario == "help"
	w := stderr
	if help {
		w = stdout
	}
	fmt.Fprint(w, `Usage: quanzi load <scenario> [flags]

  transfers   register and fund users, then send transfers between them over HTTP
  tips        register and fund users, post, then tip each other's posts over HTTP
  search      fill the circle directory, then search it in Chinese and English over HTTP
  seed        fill a database with users, circles and posts (100,000 users, 1,000,000 posts by default)
  feeds       read circle and home feeds over HTTP from a database load seed filled
  notify      hold notification streams open and measure how fast notifications reach them
  uploads     upload pictures from a folder over HTTP and measure uploads/s

quanzi load <scenario> --help lists a scenario's flags.
`)
	if help {
		return nil
	}
	return fmt.Errorf("%w: quanzi load needs a scenario: transfers, tips, search, seed, feeds, notify or uploads", errUsage)
}

func runLoadTransfers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c loadConfig
	fs := newFlagSet("load transfers", `Register --users users on a running quanzi, top each up, then send
transfers between random pairs from --concurrency clients for --duration,
each with its own Idempotency-Key. Prints a progress line, then requests/s,
latency percentiles and errors by code, and checks that the users' wallets
still hold exactly what was topped up. Only use it on a server of your own.`, stderr)
	if err := c.parse(fs, args, stdout, "send", "sending", "transfer"); err != nil {
		return err
	}
	return c.run(ctx, stdout, stderr)
}

// parse reads the flags the money load scenarios share (verb, its -ing
// form and noun name what the clients do: send a transfer, tip a tip) and
// checks them.
func (c *loadConfig) parse(fs *flag.FlagSet, args []string, stdout io.Writer, verb, verbing, noun string) error {
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the quanzi server")
	fs.IntVar(&c.users, "users", 200, "users to register")
	fs.IntVar(&c.concurrency, "concurrency", 64, "clients "+verbing+" at once")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to "+verb)
	fs.Int64Var(&c.maxAmount, "max-amount", 9, "largest "+noun+", in fen (small keeps unverified users under their daily limit)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if c.users < 2 || c.concurrency < 1 || c.duration <= 0 || c.maxAmount < 1 {
		return fmt.Errorf("%w: --users must be at least 2, --concurrency and --max-amount at least 1, --duration positive", errUsage)
	}
	return nil
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
	call := newCaller(ctx, c.url, c.concurrency).call

	run := randomHex(4)
	users, err := registerUsers(stderr, call, "load_"+run, c.users, loadFunds)
	if err != nil {
		return err
	}

	// Transfers.
	st := drive(ctx, stderr, "sending transfers", c.concurrency, c.duration, func(w, i int, rng *rand.Rand) string {
		from := rng.IntN(len(users))
		to := (from + 1 + rng.IntN(len(users)-1)) % len(users)
		body := map[string]any{"to": users[to].handle, "amount": 1 + rng.Int64N(c.maxAmount)}
		return failure(call("POST", "/api/v1/transfers", users[from].token, fmt.Sprintf("%s-%d-%d", run, w, i), body))(201)
	})
	st.print(stdout, "transfers", "refused or failed")

	return checkConservation(stdout, call, users, loadFunds)
}

// checkConservation checks that the load users, who only paid each
// other, hold together exactly what each was topped up with.
func checkConservation(stdout io.Writer, call func(method, path, token, key string, body any) (int, []byte, error), users []loadUser, funds int64) error {
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
	want := int64(len(users)) * funds
	if total != want {
		return fmt.Errorf("conservation FAILED: the load users hold %d fen, but %d were topped up", total, want)
	}
	fmt.Fprintf(stdout, "conservation OK: %d users hold exactly the %d fen topped up\n", len(users), want)
	return nil
}

// caller makes JSON requests to one server.
type caller struct {
	ctx    context.Context
	url    string
	client *http.Client
}

func newCaller(ctx context.Context, url string, concurrency int) *caller {
	return &caller{ctx: ctx, url: url, client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency + 8}}}
}

// call sends body (if not nil) as JSON with a bearer token and an
// Idempotency-Key (each if not empty), and returns the status and body.
func (c *caller) call(method, path, token, key string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.url+path, rd)
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
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// registerUsers registers n users named prefix_0 … prefix_n-1, signs them
// in and tops each up with funds (if not 0), a few at a time: sign-up
// hashes a password, which the server bounds by design.
func registerUsers(stderr io.Writer, call func(method, path, token, key string, body any) (int, []byte, error), prefix string, n int, funds int64) ([]loadUser, error) {
	password := "load-" + randomHex(8)
	users := make([]loadUser, n)
	setup := newProgress(stderr, "registering users", false)
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
				u := loadUser{handle: fmt.Sprintf("%s_%d", prefix, i)}
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
					if funds == 0 {
						return nil
					}
					if code, b, err := call("POST", "/api/v1/wallet/topups", u.token, "fund-"+u.handle, map[string]any{"amount": funds}); err != nil || code != 201 {
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
				setup.update(int(made.Add(1)), n)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	setup.finish()
	return users, setupErr
}

// failure turns a response into "" if it has the wanted status, and
// otherwise into a kind of failure to count: the status and code, or the
// transport error.
func failure(code int, body []byte, err error) func(want int) string {
	return func(want int) string {
		switch {
		case err != nil:
			return "transport: " + err.Error()
		case code != want:
			var p struct{ Code string }
			json.Unmarshal(body, &p)
			return fmt.Sprintf("%d %s", code, p.Code)
		}
		return ""
	}
}

// stats are the latencies and failures of a load run.
type stats struct {
	latencies []time.Duration // sorted
	errors    map[string]int
	elapsed   time.Duration
}

// drive runs op from concurrency workers for duration, showing progress,
// and collects how long each call took and how the failed ones failed
// (op returns "" for success, or the kind of failure).
func drive(ctx context.Context, stderr io.Writer, label string, concurrency int, duration time.Duration, op func(w, i int, rng *rand.Rand) string) stats {
	type result struct {
		latencies []time.Duration
		errors    map[string]int
	}
	results := make([]result, concurrency)
	var sent atomic.Int64
	deadline := time.Now().Add(duration)
	start := time.Now()
	stopBar := make(chan struct{})
	barDone := make(chan struct{})
	go func() {
		defer close(barDone)
		bar := newProgress(stderr, label, false)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopBar:
				bar.finish()
				return
			case <-t.C:
				el := time.Since(start)
				bar.label = fmt.Sprintf("%s (%.0f/s)", label, float64(sent.Load())/el.Seconds())
				bar.update(int(min(el, duration)/time.Millisecond), int(duration/time.Millisecond))
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			res := result{errors: map[string]int{}}
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				f := op(w, i, rng)
				res.latencies = append(res.latencies, time.Since(t0))
				sent.Add(1)
				if f != "" {
					res.errors[f]++
				}
			}
			results[w] = res
		}(w)
	}
	wg.Wait()
	st := stats{errors: map[string]int{}, elapsed: time.Since(start)}
	close(stopBar)
	<-barDone
	for _, r := range results {
		st.latencies = append(st.latencies, r.latencies...)
		for k, v := range r.errors {
			st.errors[k] += v
		}
	}
	sort.Slice(st.latencies, func(i, j int) bool { return st.latencies[i] < st.latencies[j] })
	return st
}

// pct is the latency below which a share p of the calls finished.
func (st stats) pct(p float64) time.Duration {
	if len(st.latencies) == 0 {
		return 0
	}
	return st.latencies[min(len(st.latencies)-1, int(p*float64(len(st.latencies))))]
}

// print writes the run's rate, latency percentiles and failures.
func (st stats) print(w io.Writer, noun, failedWord string) {
	failed := 0
	for _, v := range st.errors {
		failed += v
	}
	rate := float64(len(st.latencies)) / st.elapsed.Seconds()
	digits := 0
	if rate < 100 {
		digits = 2 // slow work, such as uploads of big pictures
	}
	fmt.Fprintf(w, "%s: %d in %s = %.*f/s, %d %s\n", noun, len(st.latencies), st.elapsed.Round(time.Millisecond),
		digits, rate, failed, failedWord)
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	fmt.Fprintf(w, "latency: p50 %s  p95 %s  p99 %s  max %s\n", r(st.pct(0.50)), r(st.pct(0.95)), r(st.pct(0.99)), r(st.pct(1)))
	keys := make([]string, 0, len(st.errors))
	for k := range st.errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  errors %-40s %d\n", k, st.errors[k])
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	crand.Read(b)
	return hex.EncodeToString(b)
}
