package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

func runLoadFeeds(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c feedLoad
	fs := newFlagSet("load feeds", `Read feeds from a running quanzi whose database "quanzi load seed" filled:
from --concurrency clients for --duration each, first circle feeds
(GET /api/v1/circles/{id}/posts, a random open circle, as a random
signed-in user), then home feeds (GET /api/v1/feed). Prints requests/s,
latency percentiles and errors by code for each. Only use it on a server
of your own.`, stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the quanzi server")
	fs.StringVar(&c.seed, "seed", "load-seed.json", "the file quanzi load seed wrote")
	fs.IntVar(&c.concurrency, "concurrency", 64, "clients reading at once")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long to read each kind of feed")
	fs.StringVar(&c.feeds, "feed", "both", "which feeds to read: circle, home or both")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if c.concurrency < 1 || c.duration <= 0 || (c.feeds != "circle" && c.feeds != "home" && c.feeds != "both") {
		return fmt.Errorf("%w: --concurrency must be at least 1, --duration positive, --feed circle, home or both", errUsage)
	}
	raw, err := os.ReadFile(c.seed)
	if err != nil {
		return fmt.Errorf("reading the seed file (run quanzi load seed first): %w", err)
	}
	var seed seedFile
	if err := json.Unmarshal(raw, &seed); err != nil || len(seed.Tokens) == 0 || len(seed.Circles) == 0 {
		return fmt.Errorf("%s is not a seed file with tokens and circles", c.seed)
	}
	cl := newCaller(ctx, c.url, c.concurrency)
	if c.feeds != "home" {
		st := drive(ctx, stderr, "circle feeds", c.concurrency, c.duration, func(w, i int, rng *rand.Rand) string {
			code, body, err := cl.call("GET", "/api/v1/circles/"+seed.Circles[rng.IntN(len(seed.Circles))]+"/posts", seed.Tokens[rng.IntN(len(seed.Tokens))], "", nil)
			return failure(code, body, err)(200)
		})
		st.print(stdout, "circle feed pages", "failed")
	}
	if c.feeds != "circle" {
		st := drive(ctx, stderr, "home feeds", c.concurrency, c.duration, func(w, i int, rng *rand.Rand) string {
			code, body, err := cl.call("GET", "/api/v1/feed", seed.Tokens[rng.IntN(len(seed.Tokens))], "", nil)
			return failure(code, body, err)(200)
		})
		st.print(stdout, "home feed pages", "failed")
	}
	return nil
}

type feedLoad struct {
	url, seed, feeds string
	concurrency      int
	duration         time.Duration
}
