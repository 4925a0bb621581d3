package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func runLoadNotify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c notifyLoad
	fs := newFlagSet("load notify", `Open --streams notification streams (server-sent events) on --stream-url,
--per-user for each of the users it registers, then cause notifications at
--rate per second for --duration on --url: each user asks to join a circle
that takes members by approval, and its owner denies the request, which
notifies the user. Every stream of that user should receive it. Prints the
server's resident memory (from its /metrics) before and with the streams
open, and the latency from each notification's creation (its created_at,
the deciding transaction's time) to its arrival on each stream, with the
deliveries missed or repeated. With --stream-url on another node (both
started with --nats), it measures delivery across nodes. Only use it on
servers of your own.`, stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the quanzi server where notifications are caused")
	fs.StringVar(&c.streamURL, "stream-url", "", "the quanzi server holding the streams (default: --url)")
	fs.IntVar(&c.streams, "streams", 1000, "streams to hold open")
	fs.IntVar(&c.perUser, "per-user", 10, "streams per user (the server allows 20)")
	fs.Float64Var(&c.rate, "rate", 20, "notifications caused per second")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long to cause notifications")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if c.streamURL == "" {
		c.streamURL = c.url
	}
	if c.streams < 1 || c.perUser < 1 || c.perUser > 20 || c.rate <= 0 || c.duration <= 0 {
		return fmt.Errorf("%w: --streams must be at least 1, --per-user 1 to 20, --rate and --duration positive", errUsage)
	}
	return c.run(ctx, stdout, stderr)
}

type notifyLoad struct {
	url, streamURL string
	streams        int
	perUser        int
	rate           float64
	duration       time.Duration
}

// notifyStream is one stream held by the load, and what it received.
type notifyStream struct {
	user  int
	mu    sync.Mutex
	seen  map[int64]bool
	lat   []time.Duration
	dups  int
	ended error
}

func (c notifyLoad) run(ctx context.Context, stdout, stderr io.Writer) error {
	call := newCaller(ctx, c.url, 32).call
	nUsers := (c.streams + c.perUser - 1) / c.perUser
	run := randomHex(4)
	users, err := registerUsers(stderr, call, "n_"+run, nUsers+1, 0)
	if err != nil {
		return err
	}
	owner, users := users[nUsers], users[:nUsers]
	code, b, err := call("POST", "/api/v1/circles", owner.token, "", map[string]any{"name": "Load " + run, "category": "campus", "join_approval": true})
	if err != nil || code != 201 {
		return fmt.Errorf("creating the circle: %d %s %v", code, b, err)
	}
	var circle struct{ ID string }
	json.Unmarshal(b, &circle)

	before, err := serverRSS(ctx, c.streamURL)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	streams, readers, err := c.open(sctx, stderr, users)
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the server settle
	with, err := serverRSS(ctx, c.streamURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "server memory (RSS): %.1f MiB before, %.1f MiB with %d streams open (%.1f KiB per stream)\n",
		mib(before), mib(with), c.streams, float64(with-before)/1024/float64(c.streams))

	caused, failures, elapsed := c.cause(ctx, stderr, call, circle.ID, owner, users)
	time.Sleep(2 * time.Second) // the last deliveries
	stop()
	readers.Wait()
	return c.report(stdout, streams, caused, failures, elapsed)
}

// open opens the streams, each on a connection of its own as browsers
// hold them, and starts reading them.
func (c notifyLoad) open(ctx context.Context, stderr io.Writer, users []loadUser) ([]*notifyStream, *sync.WaitGroup, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: -1,
	}}
	streams := make([]*notifyStream, c.streams)
	var opened atomic.Int64
	var openErr atomic.Value
	bar := newProgress(stderr, "opening streams", false)
	var wg sync.WaitGroup
	readers := &sync.WaitGroup{}
	next := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				st := &notifyStream{user: i / c.perUser, seen: map[int64]bool{}}
				streams[i] = st
				res, err := openStream(ctx, client, c.streamURL, users[st.user].token, "")
				if err != nil {
					openErr.CompareAndSwap(nil, err)
					st.ended = err
					continue
				}
				readers.Add(1)
				go func() {
					defer readers.Done()
					defer res.Body.Close()
					err := readEvents(res.Body, st.receive)
					if ctx.Err() == nil {
						st.mu.Lock()
						st.ended = err
						st.mu.Unlock()
					}
				}()
				bar.update(int(opened.Add(1)), c.streams)
			}
		}()
	}
	for i := range c.streams {
		next <- i
	}
	close(next)
	wg.Wait()
	bar.finish()
	if err, _ := openErr.Load().(error); err != nil {
		return nil, nil, fmt.Errorf("opening %d streams: %w (raise the open-file limit of both processes: ulimit -n)", c.streams, err)
	}
	return streams, readers, nil
}

// receive notes a notification's arrival on the stream.
func (st *notifyStream) receive(ev sseEvent) bool {
	arrived := time.Now()
	var n struct {
		Seq       int64
		CreatedAt time.Time `json:"created_at"`
	}
	json.Unmarshal([]byte(ev.data), &n)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.seen[n.Seq] {
		st.dups++
	} else {
		st.seen[n.Seq] = true
		st.lat = append(st.lat, arrived.Sub(n.CreatedAt))
	}
	return true
}

// cause causes notifications at the rate for the duration: each user in
// turn asks to join and is denied. It returns how many each user got, the
// failures by kind, and how long it took.
func (c notifyLoad) cause(ctx context.Context, stderr io.Writer, call func(method, path, token, key string, body any) (int, []byte, error),
	circleID string, owner loadUser, users []loadUser) ([]atomic.Int64, map[string]int, time.Duration) {
	var failMu sync.Mutex
	failures := map[string]int{}
	caused := make([]atomic.Int64, len(users))
	busy := make([]sync.Mutex, len(users))
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.rate))
	defer tick.Stop()
	deadline := time.Now().Add(c.duration)
	var wg sync.WaitGroup
	bar := newProgress(stderr, "causing notifications", false)
	start := time.Now()
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		<-tick.C
		u := i % len(users)
		wg.Add(1)
		go func() {
			defer wg.Done()
			busy[u].Lock() // one request of a user's at a time
			defer busy[u].Unlock()
			code, b, err := call("POST", "/api/v1/circles/"+circleID+"/members", users[u].token, "", map[string]any{})
			f := failure(code, b, err)(202)
			if f == "" {
				var j struct{ Request struct{ ID string } }
				json.Unmarshal(b, &j)
				code, b, err = call("POST", "/api/v1/circles/"+circleID+"/join-requests/"+j.Request.ID+"/deny", owner.token, "", map[string]any{"reason": "load"})
				if f = failure(code, b, err)(200); f == "" {
					caused[u].Add(1)
					return
				}
				f = "deny: " + f
			} else {
				f = "join: " + f
			}
			failMu.Lock()
			failures[f]++
			failMu.Unlock()
		}()
		bar.update(int(time.Since(start)/time.Millisecond), int(c.duration/time.Millisecond))
	}
	wg.Wait()
	bar.finish()
	return caused, failures, time.Since(start)
}

// report prints what the streams received against what was caused.
func (c notifyLoad) report(stdout io.Writer, streams []*notifyStream, caused []atomic.Int64, failures map[string]int, elapsed time.Duration) error {
	var lat []time.Duration
	want, dups, ended := 0, 0, 0
	for _, st := range streams {
		st.mu.Lock()
		want += int(caused[st.user].Load())
		lat = append(lat, st.lat...)
		dups += st.dups
		if st.ended != nil {
			ended++
		}
		st.mu.Unlock()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
	}
	notes, failed := 0, 0
	for i := range caused {
		notes += int(caused[i].Load())
	}
	for _, n := range failures {
		failed += n
	}
	fmt.Fprintf(stdout, "notifications: %d in %s = %.1f/s, %d failed; deliveries: %d of %d expected, %d repeated, %d streams ended early\n",
		notes, elapsed.Round(time.Millisecond), float64(notes)/elapsed.Seconds(), failed, len(lat), want, dups, ended)
	fmt.Fprintf(stdout, "creation to delivery: p50 %s  p95 %s  p99 %s  max %s\n", pct(0.5), pct(0.95), pct(0.99), pct(1))
	keys := make([]string, 0, len(failures))
	for k := range failures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  errors %-40s %d\n", k, failures[k])
	}
	if len(lat) < want {
		return fmt.Errorf("%d of %d deliveries missing", want-len(lat), want)
	}
	return nil
}

// serverRSS reads the server's resident memory from its /metrics.
func serverRSS(ctx context.Context, base string) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading %s/metrics: %w", base, err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("%s/metrics has no process_resident_memory_bytes", base)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
